/**
 * What an INSTCMD or SET VAR came to, in the app's words: the TRACKING verdict (NUT 2.8.0+), or
 * upsd's immediate reply, or its refusal with the upsd.users right this user is missing, named in
 * the server's vocabulary (shared/rights.ts: `upsmon master` before 2.8.0, `upsmon primary` after).
 */
import type { ActionOutcome, ActionState } from '../../shared/ups-commands';
import { type RightsWords, upsmonRight } from '../../shared/rights';
import { NutError, describeErrCode } from '../nut/errors';
import type { ActionResult } from '../nut/client';

export interface ActionContext {
  monitorId: string;
  kind: 'command' | 'set';
  name: string;
  value: string | null;
  username: string;
  words: RightsWords;
  /** The server supports TRACKING (and it was asked for). */
  tracking: boolean;
  at: number;
  durationMs: number;
}

/** The upsd.users lines `username` needs for this command or SET, in the server's words. */
export function rightsHint(
  kind: 'command' | 'set',
  name: string,
  username: string,
  words: RightsWords,
): string {
  const right = kind === 'command' ? `instcmds = ${name}` : 'actions = SET';
  const alternative = kind === 'command' ? ' (or `instcmds = ALL` for every command)' : '';
  const primary = upsmonRight(words, 'primary');
  const version =
    words === 'primary-secondary' ? 'NUT 2.8.0 or later' : 'NUT before 2.8.0 (no PROTVER)';
  return (
    `In upsd.users on the master, give [${username}] the line \`${right}\`${alternative}, then reload upsd (\`upsd -c reload\`). ` +
    `\`${primary}\` alone does not grant ${kind === 'command' ? 'instant commands' : 'SET'}. For this server (${version}):\n\n` +
    `[${username}]\n  password = <its password>\n  ${right}\n  ${upsmonRight(words, 'secondary')}   # only if this user also monitors`
  );
}

function outcome(
  context: ActionContext,
  state: ActionState,
  fields: Partial<Pick<ActionOutcome, 'code' | 'fix' | 'rightsHint' | 'trackingId'>> & {
    message: string;
  },
): ActionOutcome {
  return {
    monitorId: context.monitorId,
    kind: context.kind,
    name: context.name,
    value: context.value,
    state,
    tracked: context.tracking && fields.trackingId !== undefined && fields.trackingId !== null,
    trackingId: fields.trackingId ?? null,
    code: fields.code ?? null,
    message: fields.message,
    fix: fields.fix ?? null,
    rightsHint: fields.rightsHint ?? null,
    revertAt: null,
    at: context.at,
    durationMs: context.durationMs,
  };
}

function what(context: ActionContext): string {
  return context.kind === 'command'
    ? `INSTCMD ${context.name}`
    : `SET ${context.name} = "${context.value ?? ''}"`;
}

/** The outcome of an answered request (`OK` or `OK TRACKING <id>`, then GET TRACKING). */
export function answeredOutcome(context: ActionContext, result: ActionResult): ActionOutcome {
  const trackingId = result.trackingId ?? null;
  const verdict = result.result;
  if (!context.tracking || trackingId === null || verdict === undefined) {
    return outcome(context, 'sent', {
      trackingId,
      code: 'OK',
      message: `upsd passed ${what(context)} to the driver. This server has no TRACKING (NUT before 2.8.0), so whether the driver carried it out is not known.`,
      fix: context.kind === 'set' ? 'Read the variable again to see the new value.' : null,
    });
  }
  if (verdict === 'SUCCESS')
    return outcome(context, 'success', {
      trackingId,
      code: 'SUCCESS',
      message: `The driver carried out ${what(context)} (TRACKING: SUCCESS).`,
    });
  if (verdict === 'PENDING')
    return outcome(context, 'pending', {
      trackingId,
      code: 'PENDING',
      message: `The driver had not reported a result for ${what(context)} when the wait ended (TRACKING: PENDING).`,
      fix: 'The driver may still carry it out; look at the UPS status or the variable in a moment.',
    });
  const code = verdict.error;
  const message =
    code === 'UNKNOWN'
      ? `The driver did not accept ${what(context)}: it answered TRACKING ERR UNKNOWN (the driver does not handle it, or gave no result).`
      : code === 'INVALID-ARGUMENT'
        ? `The driver refused the ${context.kind === 'command' ? 'command’s parameter' : 'value'} of ${what(context)} (TRACKING: ERR INVALID-ARGUMENT).`
        : `The driver reported that ${what(context)} failed (TRACKING: ERR ${code}).`;
  return outcome(context, 'failed', {
    trackingId,
    code: `ERR ${code}`,
    message,
    fix: describeErrCode(code).fix,
  });
}

/** The outcome of a request upsd (or the connection) refused. */
export function errorOutcome(context: ActionContext, error: unknown): ActionOutcome {
  if (!(error instanceof NutError)) {
    return outcome(context, 'failed', {
      message: `${what(context)} failed: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const code = error.code;
  if (code === 'ACCESS-DENIED') {
    return outcome(context, 'refused', {
      code: 'ERR ACCESS-DENIED',
      message: `The master refused ${what(context)} for "${context.username}" (ERR ACCESS-DENIED): this user lacks the right ${context.kind === 'command' ? `\`instcmds = ${context.name}\`` : '`actions = SET`'}, or the password is wrong.`,
      fix: 'Add the right to this user in upsd.users (below), or use a user that has it.',
      rightsHint: rightsHint(context.kind, context.name, context.username, context.words),
    });
  }
  if (code === 'USERNAME-REQUIRED' || code === 'PASSWORD-REQUIRED') {
    return outcome(context, 'refused', {
      code: `ERR ${code}`,
      message: `${what(context)} needs a upsd user with the right; none was sent.`,
      fix: 'Enter the user and password of a upsd.users entry with the right.',
      rightsHint: rightsHint(
        context.kind,
        context.name,
        context.username || 'admin',
        context.words,
      ),
    });
  }
  return outcome(context, 'failed', {
    code: error.kind === 'server' ? `ERR ${code}` : code,
    message: `${what(context)}: ${error.explanation}`,
    fix: error.fix,
  });
}
