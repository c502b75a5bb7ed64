/**
 * PowerMonitorPort on Electron's powerMonitor: the core pauses monitoring on suspend (no false
 * "communication lost" while asleep) and reconnects on resume.
 */
import { powerMonitor } from 'electron';
import type { PowerMonitorPort } from '../platform/ports';

export function createPowerMonitorPort(): PowerMonitorPort {
  const subscribe = (event: 'suspend' | 'resume', listener: () => void): (() => void) => {
    // A fresh function per subscription, so the same listener can subscribe twice and unsubscribe once.
    const handler = (): void => listener();
    powerMonitor.on(event as 'suspend', handler);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      powerMonitor.removeListener(event as 'suspend', handler);
    };
  };
  return {
    onSuspend: (listener) => subscribe('suspend', listener),
    onResume: (listener) => subscribe('resume', listener),
  };
}

/**
 * The OS is about to shut down or reboot (Linux, macOS): delay it and run `teardown` so every
 * NUT session LOGOUTs cleanly (the master counts us as gone). Returns the unsubscribe function.
 */
export function onSystemShutdown(teardown: () => void): () => void {
  const handler = (event?: { preventDefault?: () => void }): void => {
    event?.preventDefault?.();
    teardown();
  };
  powerMonitor.on('shutdown', handler);
  return () => powerMonitor.removeListener('shutdown', handler);
}
