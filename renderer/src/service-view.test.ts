import { describe, expect, it } from 'vitest';
import type { ServiceStatus } from '../../shared/control';
import { ApiCallError } from './bridge-client';
import { describeService, installOutcome, sidebarServiceLabel } from './service-view';

const install = {
  available: true,
  command: 'sudo /usr/bin/nut-sentinel service install',
  reason: null,
};
const status = (over: Partial<ServiceStatus>): ServiceStatus => ({
  mode: 'own-core',
  endpoint: '/run/nut-sentinel/control.sock',
  problem: null,
  install,
  ...over,
});

describe('describeService', () => {
  it('attached: a service runs, this app uses it, nothing to install', () => {
    const view = describeService(status({ mode: 'attached' }));
    expect(view).toMatchObject({
      state: 'attached',
      serviceRuns: true,
      attached: true,
      headline: 'Protected by the background service — works without login',
      canInstall: false,
    });
    expect(view.detail).toContain('/run/nut-sentinel/control.sock');
    expect(sidebarServiceLabel(view)).toBe('Background service');
  });

  it('refused: a service runs but this user may not open its socket; the fix is shown', () => {
    const problem =
      'You may not open … Add yourself to the group (sudo usermod -aG nut-sentinel "$USER"), then log out and in again.';
    const view = describeService(status({ problem }));
    expect(view).toMatchObject({
      state: 'refused',
      serviceRuns: true,
      attached: false,
      canInstall: false,
    });
    expect(view.detail).toContain('usermod -aG nut-sentinel');
    expect(sidebarServiceLabel(view)).toBe('On its own (service refused access)');
  });

  it('absent: offers the install when the platform can elevate, else says why not', () => {
    const offered = describeService(status({}));
    expect(offered).toMatchObject({
      state: 'absent',
      serviceRuns: false,
      attached: false,
      canInstall: true,
      installBlocked: null,
      command: install.command,
    });
    expect(sidebarServiceLabel(offered)).toBe('Monitoring in this app');
    const blocked = describeService(
      status({
        install: { ...install, available: false, reason: 'pkexec (polkit) is not installed' },
      }),
    );
    expect(blocked).toMatchObject({
      canInstall: false,
      installBlocked: 'pkexec (polkit) is not installed',
    });
  });

  it("the service's own core (a page served by the service)", () => {
    expect(describeService(status({ mode: 'service' }))).toMatchObject({
      state: 'this-is-the-service',
      attached: true,
      canInstall: false,
    });
  });
});

describe('installOutcome', () => {
  it('success keeps the installer output', () => {
    expect(
      installOutcome({ result: { ok: true, detail: 'Created nut-sentinel.service' } }),
    ).toEqual({
      kind: 'installed',
      detail: 'Created nut-sentinel.service',
    });
  });

  it('a failure: the reason first, the output and the manual command as the fix', () => {
    const detail =
      'Administrator rights were not granted (the password dialog was cancelled).\nRequest dismissed\nYou can run it in a terminal instead: sudo nut-sentinel service install';
    expect(installOutcome({ result: { ok: false, detail } })).toEqual({
      kind: 'failed',
      message: 'Administrator rights were not granted (the password dialog was cancelled).',
      fix: 'Request dismissed\nYou can run it in a terminal instead: sudo nut-sentinel service install',
    });
    expect(installOutcome({ result: { ok: false, detail: 'Not available.' } })).toEqual({
      kind: 'failed',
      message: 'Not available.',
    });
  });

  it('a refused call (a core that cannot install) shows its message and fix', () => {
    const error = new ApiCallError({
      code: 'SERVICE-INSTALL-UNAVAILABLE',
      message: 'This NUT Sentinel process cannot install the background service.',
      fix: 'Run `sudo nut-sentinel service install` in a terminal.',
    });
    expect(installOutcome({ error })).toEqual({
      kind: 'failed',
      message: 'This NUT Sentinel process cannot install the background service.',
      fix: 'Run `sudo nut-sentinel service install` in a terminal.',
    });
  });
});
