// @vitest-environment jsdom
/**
 * The What-if tab against the REAL core in this process (main/testing/in-process-core.ts): the
 * master's shutdown time and HOSTSYNC typed for a UPS reach the core's timeline, and are still
 * there — and still asked for — when the tab is opened again; another UPS has its own.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { UpsSnapshot } from '../../../../shared/snapshot';

const harness = await vi.hoisted(async () => {
  const { startInProcessCore } = await import('../../../../main/testing/in-process-core');
  const started = await startInProcessCore({
    // Port 1 on loopback: nothing listens; the timeline is worked out from what is known.
    masters: [
      {
        id: 'lab',
        label: 'Lab',
        host: '127.0.0.1',
        port: 1,
        ups: [{ name: 'ups' }, { name: 'other' }],
      },
    ],
    // This machine logs out 0.5 + 5 s after FSD: later than a HOSTSYNC of 3 s, which the core says.
    timing: { connectTimeoutSeconds: 1, requestTimeoutSeconds: 1, statusPollSeconds: 0.5 },
  });
  Object.assign(window, { nutSentinel: started.api });
  return started;
});

const { WhatIfPanel } = await import('./WhatIfPanel');

afterEach(cleanup);
afterAll(() => harness.stop());

const upsNamed = (name: string) =>
  harness.core.snapshot().ups.find((u) => u.upsName === name) as UpsSnapshot;

const MASTER_MISSING = "the master's own shutdown duration";

/** The core's answer as the panel shows it: the warnings, and what it says is missing. */
async function shown(): Promise<{ warnings: string; missing: string }> {
  await waitFor(() => expect(screen.getByTestId('what-if-verdict').isConnected).toBe(true));
  return {
    warnings: screen.queryByTestId('what-if-warnings')?.textContent ?? '',
    missing: screen.queryByTestId('what-if-missing')?.textContent ?? '',
  };
}

describe('WhatIfPanel', () => {
  it('keeps the typed master shutdown and HOSTSYNC per UPS between visits, and asks the core with them', async () => {
    const first = render(<WhatIfPanel ups={upsNamed('ups')} />);
    const untouched = await shown();
    expect(untouched.missing).toContain(MASTER_MISSING);
    expect(untouched.warnings).not.toMatch(/later than HOSTSYNC/);

    fireEvent.change(screen.getByTestId('what-if-master-shutdown'), { target: { value: '90' } });
    fireEvent.change(screen.getByTestId('what-if-hostsync'), { target: { value: '3' } });
    await waitFor(() =>
      expect(screen.getByTestId('what-if-warnings').textContent).toMatch(
        /later than HOSTSYNC \(3 s\)/,
      ),
    );
    expect(screen.queryByTestId('what-if-missing')?.textContent ?? '').not.toContain(
      MASTER_MISSING,
    );
    first.unmount();

    // Another UPS: nothing typed for it, so the core is asked without either.
    const other = render(<WhatIfPanel ups={upsNamed('other')} />);
    expect(screen.getByTestId<HTMLInputElement>('what-if-master-shutdown').value).toBe('');
    expect(screen.getByTestId<HTMLInputElement>('what-if-hostsync').value).toBe('');
    const otherShown = await shown();
    expect(otherShown.missing).toContain(MASTER_MISSING);
    expect(otherShown.warnings).not.toMatch(/later than HOSTSYNC/);
    // An invalid entry is kept as typed, with its error.
    fireEvent.change(screen.getByTestId('what-if-hostsync'), { target: { value: '9999' } });
    expect(screen.getByRole('alert').textContent).toBe('HOSTSYNC: seconds from 0 to 3600.');
    other.unmount();

    // Back on the first UPS: the same entries, and the timeline the core works out from them.
    render(<WhatIfPanel ups={upsNamed('ups')} />);
    expect(screen.getByTestId<HTMLInputElement>('what-if-master-shutdown').value).toBe('90');
    expect(screen.getByTestId<HTMLInputElement>('what-if-hostsync').value).toBe('3');
    const again = await shown();
    expect(again.warnings).toMatch(/later than HOSTSYNC \(3 s\)/);
    expect(again.missing).not.toContain(MASTER_MISSING);
    cleanup();

    render(<WhatIfPanel ups={upsNamed('other')} />);
    expect(screen.getByTestId<HTMLInputElement>('what-if-hostsync').value).toBe('9999');
    expect(screen.getByRole('alert').textContent).toBe('HOSTSYNC: seconds from 0 to 3600.');
  });
});
