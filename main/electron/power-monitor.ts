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
 * The OS is about to shut down or reboot (Linux, macOS; Electron emits this event nowhere
 * else): delay it and run `onShutdown` so every NUT session LOGOUTs cleanly. On Linux the
 * delay is logind's inhibitor lock, held until the app quits but granted for only about 5 s
 * (InhibitDelayMaxSec), so the caller must take its fast path. Returns the unsubscribe function.
 */
export function onSystemShutdown(onShutdown: () => void): () => void {
  const handler = (event: Electron.Event): void => {
    event.preventDefault();
    onShutdown();
  };
  // electron.d.ts types the listener as `() => void`, but Electron passes the event its own
  // documentation tells us to call preventDefault() on.
  const listener = handler as unknown as () => void;
  powerMonitor.on('shutdown', listener);
  return () => powerMonitor.removeListener('shutdown', listener);
}
