/** Types and constants shared by the FSD test's steps. */
import type { FsdRunView } from '../../../../shared/fsd-test';

/** The two kinds of FSD test: a local rehearsal, or a real FSD on the master. */
export type Mode = 'local' | 'master';
export type ErrorInfo = { message: string; fix?: string } | null;

/** Run states during which the wizard is hidden and Abort is offered. */
export const ACTIVE: FsdRunView['state'][] = ['countdown', 'running'];
