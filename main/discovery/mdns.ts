/**
 * DNS-SD/mDNS browse for `_nut._tcp` (NUT ships an avahi service file for it) with
 * bonjour-service. One responder per local IPv4 interface, so the query leaves on each network
 * this machine is on, even without a default route.
 */
import { Bonjour, type Browser, type Service } from 'bonjour-service';

export interface MdnsFinding {
  /** Instance name, e.g. `nut on nas`. */
  name: string;
  /** Announced host, e.g. `nas.local`. */
  host: string;
  port: number;
  /** IPv4 addresses from the A records (IPv6 left out: the scan and the masters use IPv4). */
  addresses: string[];
}

export interface MdnsBrowseOptions {
  /** Local IPv4 addresses to browse from (one per interface). */
  interfaces: readonly string[];
  durationMs: number;
}

export async function browseNut(options: MdnsBrowseOptions): Promise<MdnsFinding[]> {
  const found = new Map<string, MdnsFinding>();
  const instances: Bonjour[] = [];
  const browsers: Browser[] = [];
  const errors: Error[] = [];
  const record = (service: Service): void => {
    const addresses = (service.addresses ?? []).filter((address) =>
      /^\d+\.\d+\.\d+\.\d+$/.test(address),
    );
    if (addresses.length === 0 && service.referer?.family === 'IPv4')
      addresses.push(service.referer.address);
    const key = `${service.name}|${service.port}`;
    const known = found.get(key);
    if (known) known.addresses = [...new Set([...known.addresses, ...addresses])];
    else found.set(key, { name: service.name, host: service.host, port: service.port, addresses });
  };
  try {
    for (const address of options.interfaces) {
      // Bound to 0.0.0.0: a socket bound to the interface address would never see the multicast answers.
      const bonjour = new Bonjour(
        { interface: address, bind: '0.0.0.0' } as ConstructorParameters<typeof Bonjour>[0],
        (error: Error) => errors.push(error),
      );
      instances.push(bonjour);
      // multicast-dns emits socket errors (EADDRINUSE, EACCES) as 'error' events bonjour-service leaves unhandled.
      const mdns = (bonjour as unknown as { server: { mdns: NodeJS.EventEmitter } }).server.mdns;
      mdns.on('error', (error: Error) => errors.push(error));
      mdns.on('warning', () => undefined);
      browsers.push(bonjour.find({ type: 'nut' }, record));
    }
    // One query can go unanswered (multicast is lossy, a busy responder answers late): ask again
    // at 1 s, 2 s, 4 s … within the window, as RFC 6762 §5.2 has continuous queriers do.
    for (let at = 1000, waited = 0; waited < options.durationMs; at *= 2) {
      const step = Math.min(at - waited, options.durationMs - waited);
      await new Promise((resolve) => setTimeout(resolve, step));
      waited += step;
      if (waited < options.durationMs) for (const browser of browsers) browser.update();
    }
  } finally {
    await Promise.all(
      instances.map((bonjour) => new Promise<void>((resolve) => bonjour.destroy(() => resolve()))),
    );
  }
  if (found.size === 0 && errors.length > 0 && errors.length >= instances.length) throw errors[0]!;
  return [...found.values()];
}
