/** The background service's status as the core last answered it, shared by every view. */
import { useEffect } from 'react';
import { create } from 'zustand';
import type { ServiceStatus } from '../../shared/control';
import { api, errorText } from './api';
import { type ServiceView, describeService } from './service-view';

interface ServiceStore {
  status: ServiceStatus | null;
  error: string | null;
}

export const useServiceStore = create<ServiceStore>(() => ({ status: null, error: null }));

/** Asks the core for the service status now (after an install, on a timer). */
export async function refreshServiceStatus(): Promise<void> {
  try {
    const status = await api.invoke('service:status', undefined);
    useServiceStore.setState({ status, error: null });
  } catch (error) {
    useServiceStore.setState({ error: errorText(error).message });
  }
}

/** How often a mounted view re-asks (the app switches to a service within a second of its start). */
export const SERVICE_STATUS_REFRESH_MS = 3_000;

/** The current service view, refreshed while a component that shows it is mounted. */
export function useServiceView(): { view: ServiceView | null; error: string | null } {
  const status = useServiceStore((s) => s.status);
  const error = useServiceStore((s) => s.error);
  useEffect(() => {
    void refreshServiceStatus();
    const timer = setInterval(() => void refreshServiceStatus(), SERVICE_STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return { view: status ? describeService(status) : null, error };
}
