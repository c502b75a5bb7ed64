/**
 * STARTTLS (main/nut/README.md §1.7) against the fault server, with the self-signed test certificates in
 * fixtures/ (shaped like upsd's certutil certificate: SAN localhost + 127.0.0.1, no CA flag).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultScript, type FaultServer } from '../testing/fault-server.js';
import { nutRejection } from '../testing/nut-rejection.js';
import { NutClient, type NutClientOptions, type NutTlsOptions } from './client.js';
import type { NutError } from './errors.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const serverTls = { key: fixture('server-key.pem'), cert: fixture('server-cert.pem') };
const serverCertPem = serverTls.cert;
const otherCertPem = fixture('other-cert.pem');
const serverFingerprint = new X509Certificate(serverCertPem).fingerprint256;
const otherFingerprint = new X509Certificate(otherCertPem).fingerprint256;

const servers: FaultServer[] = [];
const clients: NutClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A TLS-capable upsd look-alike: STARTTLS → OK STARTTLS + handshake; VER and NETVER answered. */
const tlsUpsd: FaultScript = async (line, connection) => {
  if (line === 'STARTTLS') return connection.acceptStartTls(serverTls);
  if (line === 'VER')
    return connection.send('Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/');
  if (line === 'NETVER') return connection.send('1.3');
  return connection.send('ERR UNKNOWN-COMMAND');
};

async function serve(script: FaultScript): Promise<FaultServer> {
  const server = await startFaultServer(script);
  servers.push(server);
  return server;
}

async function connect(
  server: FaultServer,
  tls: NutTlsOptions,
  options: Partial<NutClientOptions> = {},
): Promise<NutClient> {
  const client = await NutClient.connect({
    host: 'localhost',
    port: server.port,
    keepAliveIntervalMs: 0,
    tls,
    ...options,
  });
  clients.push(client);
  return client;
}

/** A client that connected after all is still closed after the test. */
function rejection(promise: Promise<unknown>): Promise<NutError> {
  return nutRejection(promise, (value) => {
    if (value instanceof NutClient) clients.push(value);
  });
}

describe('STARTTLS', () => {
  it('required + CA: the whole session runs inside TLS', async () => {
    const server = await serve(tlsUpsd);
    const client = await connect(server, { mode: 'required', caPem: serverCertPem });
    expect(client.tlsActive).toBe(true);
    expect(client.tlsProtocol).toMatch(/^TLSv1\.[23]$/);
    expect(client.peerCertificateFingerprint256).toBe(serverFingerprint);
    expect(await client.netVer()).toBe('1.3');
    // STARTTLS went first and alone; everything else arrived decrypted through TLS.
    expect(server.received).toEqual(['STARTTLS', 'NETVER']);
    expect(client.localAddress).toBeDefined();
  });

  it('verifies the name against an IP address SAN', async () => {
    const client = await connect(
      await serve(tlsUpsd),
      { mode: 'required', caPem: serverCertPem },
      { host: '127.0.0.1' },
    );
    expect(client.tlsActive).toBe(true);
  });

  it('a certificate not valid for the servername is refused', async () => {
    const error = await rejection(
      connect(await serve(tlsUpsd), {
        mode: 'required',
        caPem: serverCertPem,
        servername: 'nas.example',
      }),
    );
    expect(error).toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(error.explanation).toContain('nas.example');
  });

  it('a certificate from another CA is refused', async () => {
    const error = await rejection(
      connect(await serve(tlsUpsd), { mode: 'required', caPem: otherCertPem }),
    );
    expect(error.kind).toBe('tls');
    expect(error.fix).toMatch(/fingerprint/);
  });

  it('without CA or pin, a self-signed certificate is refused (system CAs only)', async () => {
    const error = await rejection(connect(await serve(tlsUpsd), { mode: 'opportunistic' }));
    expect(error).toMatchObject({ kind: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(error.explanation).toMatch(/self-signed/);
  });

  it('a pinned fingerprint (colons optional, any case) is enough', async () => {
    const pin = serverFingerprint.replace(/:/g, '').toLowerCase();
    const client = await connect(await serve(tlsUpsd), { mode: 'required', fingerprint256: pin });
    expect(client.peerCertificateFingerprint256).toBe(serverFingerprint);
    expect(await client.ver()).toMatch(/upsd 2\.8\.0/);
  });

  it('a fingerprint mismatch names both fingerprints', async () => {
    const error = await rejection(
      connect(await serve(tlsUpsd), { mode: 'required', fingerprint256: otherFingerprint }),
    );
    expect(error).toMatchObject({ kind: 'tls', code: 'FINGERPRINT-MISMATCH' });
    expect(error.explanation).toContain(serverFingerprint);
    expect(error.explanation).toContain(otherFingerprint);
  });

  it('insecure skips verification, but a pin is still checked', async () => {
    const client = await connect(await serve(tlsUpsd), {
      mode: 'required',
      insecure: true,
      servername: 'whatever.example',
    });
    expect(client.tlsActive).toBe(true);
    const error = await rejection(
      connect(await serve(tlsUpsd), {
        mode: 'required',
        insecure: true,
        fingerprint256: otherFingerprint,
      }),
    );
    expect(error.code).toBe('FINGERPRINT-MISMATCH');
  });

  it('opportunistic: a server without a certificate keeps the connection in plaintext', async () => {
    const server = await serve(async (line, connection) =>
      connection.send(line === 'STARTTLS' ? 'ERR FEATURE-NOT-CONFIGURED' : '1.3'),
    );
    const client = await connect(server, { mode: 'opportunistic' });
    expect(client.tlsActive).toBe(false);
    expect(client.tlsDeclinedCode).toBe('FEATURE-NOT-CONFIGURED');
    expect(await client.netVer()).toBe('1.3');
  });

  it('opportunistic with a CA or a pin means required: an on-path ERR FEATURE-NOT-CONFIGURED fails the connection', async () => {
    const server = await serve(async (line, connection) =>
      connection.send(line === 'STARTTLS' ? 'ERR FEATURE-NOT-CONFIGURED' : '1.3'),
    );
    for (const tls of [{ caPem: serverCertPem }, { fingerprint256: serverFingerprint }]) {
      const error = await rejection(connect(server, { mode: 'opportunistic', ...tls }));
      expect(error).toMatchObject({ kind: 'tls', code: 'STARTTLS-REFUSED' });
    }
    expect(server.received).toEqual(['STARTTLS', 'STARTTLS']);
  });

  it('a web server answering STARTTLS is named as such, not as the unsolicited lines after its answer', async () => {
    // What a web server sends back to a line it cannot parse, all in one write.
    const server = await serve(async (_line, connection) =>
      connection.write(
        'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
      ),
    );
    for (const mode of ['opportunistic', 'required'] as const) {
      const error = await rejection(connect(server, { mode, insecure: true }));
      expect(error).toMatchObject({
        kind: 'protocol',
        code: 'UNEXPECTED-REPLY',
        command: 'STARTTLS',
      });
      expect(error.explanation).toContain(
        `localhost:${server.port} answered STARTTLS with "HTTP/1.1 400 Bad Request", which is not a NUT reply: a web server listens there, not upsd.`,
      );
      expect(error.fix).toContain('port 3493');
    }
    expect(server.received).toEqual(['STARTTLS', 'STARTTLS']);
  });

  it('an old upsd without STARTTLS (ERR UNKNOWN-COMMAND) still counts as declining, not as another server', async () => {
    const server = await serve(async (line, connection) =>
      connection.send(line === 'STARTTLS' ? 'ERR UNKNOWN-COMMAND' : '1.2'),
    );
    const client = await connect(server, { mode: 'opportunistic' });
    expect(client.tlsDeclinedCode).toBe('UNKNOWN-COMMAND');
    expect(await client.netVer()).toBe('1.2');
  });

  it('required: a declining server fails the connection with the reason', async () => {
    const server = await serve(async (line, connection) =>
      connection.send(line === 'STARTTLS' ? 'ERR FEATURE-NOT-CONFIGURED' : '1.3'),
    );
    const error = await rejection(connect(server, { mode: 'required', caPem: serverCertPem }));
    expect(error).toMatchObject({ kind: 'tls', code: 'STARTTLS-REFUSED', command: 'STARTTLS' });
    expect(error.explanation).toContain('ERR FEATURE-NOT-CONFIGURED');
    expect(error.fix).toMatch(/CERTPATH/);
    await server.connections[0]!.whenClosed();
  });

  it('off: STARTTLS is never sent', async () => {
    const server = await serve(tlsUpsd);
    const client = await connect(server, { mode: 'off', caPem: serverCertPem });
    expect(await client.netVer()).toBe('1.3');
    expect(server.received).toEqual(['NETVER']);
  });

  it('a handshake that never completes times out', async () => {
    // OK STARTTLS, then silence: the server never answers the ClientHello.
    const server = await serve(async (line, connection) => {
      if (line === 'STARTTLS') await connection.send('OK STARTTLS');
    });
    const started = performance.now();
    const error = await rejection(
      connect(server, { mode: 'required', insecure: true, handshakeTimeoutMs: 150 }),
    );
    expect(error).toMatchObject({ kind: 'tls', code: 'TLS-HANDSHAKE-TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(2000);
    await server.connections[0]!.whenClosed();
  });

  it('plaintext after OK STARTTLS is a protocol error', async () => {
    const server = await serve(async (line, connection) => {
      if (line === 'STARTTLS') await connection.write('OK STARTTLS\nVAR x y "z"\n');
    });
    const error = await rejection(connect(server, { mode: 'required', insecure: true }));
    expect(error).toMatchObject({ kind: 'protocol', code: 'UNEXPECTED-REPLY' });
  });

  it('a TLS connection closes cleanly with LOGOUT', async () => {
    const server = await serve(async (line, connection) => {
      if (line === 'LOGOUT') {
        await connection.send('OK Goodbye');
        return;
      }
      return tlsUpsd(line, connection);
    });
    const client = await connect(server, { mode: 'required', caPem: serverCertPem });
    await client.logout();
    expect(client.isOpen).toBe(false);
    expect(server.received).toEqual(['STARTTLS', 'LOGOUT']);
    await server.connections[0]!.whenClosed();
  });
});
