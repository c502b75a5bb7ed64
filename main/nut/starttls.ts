/**
 * STARTTLS (main/nut/README.md §1.7): asks upsd to switch the connection to TLS, runs the
 * handshake on the same socket with the certificate checks and the pinned fingerprint, and hands
 * the TLS socket back to the connection. With `opportunistic` a server that declines leaves the
 * link in plaintext; a failed handshake or certificate check always fails.
 */
import net from 'node:net';
import tls from 'node:tls';
import { type ResolvedOptions, formatFingerprint, normalizeFingerprint } from './client-options.js';
import type { NutConnection } from './connection.js';
import {
  ClientErrorCode,
  NutError,
  describeErrCode,
  errnoOf,
  type NutErrorContext,
} from './errors.js';
import { buildCommand, describeWords, errCodeOf } from './protocol.js';

export type StartTlsOutcome =
  /** TLS is active: the negotiated version and the server certificate's SHA-256 fingerprint. */
  | { kind: 'active'; protocol: string | null; fingerprint256: string | undefined }
  /** `opportunistic` and the server declined: its ERR code (the link stays plaintext). */
  | { kind: 'declined'; code: string };

/** Negotiates STARTTLS on a fresh connection, as `connection.options.tls.mode` says. */
export async function negotiateStartTls(connection: NutConnection): Promise<StartTlsOutcome> {
  const options = connection.options;
  const command = buildCommand(['STARTTLS']);
  let handshake: Promise<tls.TLSSocket> | undefined;
  const reply = await connection.request(command, {
    // upsd 2.8.0 handshakes synchronously after OK STARTTLS and freezes for every client until we
    // do: start the handshake right here, before anything else can run. Every upsd answers
    // STARTTLS with OK or ERR (ERR UNKNOWN-COMMAND before 2.7); anything else is another kind of
    // server, and failing before its next line is read keeps that reason rather than the
    // "unsolicited reply" its following lines would cause.
    onReplySync: (line) => {
      const first = line.words[0]?.toUpperCase();
      if (first === 'OK' && line.words[1]?.toUpperCase() === 'STARTTLS')
        handshake = startHandshake(connection.beginUpgrade(), options, connection.context());
      else if (first !== 'OK' && first !== 'ERR')
        connection.fail(connection.notNutServerError(command, line.words));
    },
  });
  if (!handshake) {
    if (connection.closeCause) throw connection.closeCause;
    const code = errCodeOf(reply.words) ?? 'UNEXPECTED-REPLY';
    if (options.tls.mode === 'opportunistic') return { kind: 'declined', code };
    const reason = describeErrCode(code, { command: 'STARTTLS' });
    throw new NutError({
      kind: 'tls',
      code: ClientErrorCode.starttlsRefused,
      explanation: `TLS is required but the server declined STARTTLS (${code === 'UNEXPECTED-REPLY' ? `"${describeWords(reply.words)}"` : `ERR ${code}`}): ${reason.explanation}`,
      fix: reason.fix,
      command: command.redacted,
      context: connection.context(),
    });
  }
  const secureSocket = await handshake;
  connection.completeUpgrade(secureSocket);
  const certificate = secureSocket.getPeerCertificate();
  return {
    kind: 'active',
    protocol: secureSocket.getProtocol(),
    fingerprint256: certificate.fingerprint256 || undefined,
  };
}

/** The TLS handshake over `raw`, with the certificate checks and the pin; a NutError of kind `tls` on failure. */
function startHandshake(
  raw: net.Socket,
  options: ResolvedOptions,
  context: NutErrorContext,
): Promise<tls.TLSSocket> {
  const settings = options.tls;
  const identity = settings.servername ?? options.host;
  const verify =
    settings.insecure !== true &&
    (settings.caPem !== undefined || options.pinnedFingerprint === undefined);
  const secureSocket = tls.connect({
    socket: raw,
    servername: net.isIP(identity) ? undefined : identity,
    rejectUnauthorized: verify,
    ca: settings.caPem === undefined ? undefined : [settings.caPem],
    checkServerIdentity: (_hostname, certificate) =>
      verify ? tls.checkServerIdentity(identity, certificate) : undefined,
  });
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      secureSocket.off('secureConnect', onSecure);
      secureSocket.off('error', onError);
      secureSocket.off('close', onClose);
    };
    const failWith = (error: NutError): void => {
      cleanup();
      secureSocket.on('error', () => undefined);
      secureSocket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      failWith(
        tlsError(context, ClientErrorCode.tlsHandshakeTimeout, {
          explanation: `The TLS handshake did not complete within ${settings.handshakeTimeoutMs} ms.`,
          fix: 'Check the network; if the server is slow to answer, raise tls.handshakeTimeoutMs.',
        }),
      );
    }, settings.handshakeTimeoutMs);
    const onSecure = (): void => {
      const pinned = options.pinnedFingerprint;
      const actual = secureSocket.getPeerCertificate().fingerprint256;
      if (pinned !== undefined && normalizeFingerprint(actual ?? '') !== pinned) {
        failWith(
          tlsError(context, ClientErrorCode.fingerprintMismatch, {
            explanation: `The server's certificate has SHA-256 fingerprint ${actual || '(none)'}, but ${formatFingerprint(pinned)} is pinned.`,
            fix: 'If the server certificate was deliberately replaced, pin the new fingerprint; otherwise something may be intercepting the connection.',
          }),
        );
        return;
      }
      cleanup();
      resolve(secureSocket);
    };
    const onError = (error: Error): void => failWith(tlsHandshakeError(context, error, identity));
    const onClose = (): void =>
      failWith(
        tlsError(context, 'ECONNRESET', {
          explanation:
            'The server closed the connection during the TLS handshake (it may not accept this TLS version or its certificate setup is broken).',
          fix: 'Check the upsd log on the server; try tls mode "off" to confirm plaintext works.',
        }),
      );
    secureSocket.once('secureConnect', onSecure);
    secureSocket.once('error', onError);
    secureSocket.once('close', onClose);
  });
}

function tlsError(
  context: NutErrorContext,
  code: string,
  text: { explanation: string; fix: string },
  cause?: unknown,
): NutError {
  return new NutError({
    kind: 'tls',
    code,
    ...text,
    command: 'STARTTLS',
    context,
    cause,
  });
}

function tlsHandshakeError(context: NutErrorContext, error: Error, identity: string): NutError {
  const code = errnoOf(error) ?? 'TLS-HANDSHAKE-FAILED';
  const pinHint =
    'Provide the server certificate or its CA (caPem), or pin its SHA-256 fingerprint (fingerprint256); "insecure" skips verification (testing only).';
  if (
    [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'UNABLE_TO_GET_ISSUER_CERT',
      'CERT_UNTRUSTED',
    ].includes(code)
  ) {
    return tlsError(
      context,
      code,
      {
        explanation:
          "The server's certificate is not signed by a trusted CA (upsd certificates are usually self-signed).",
        fix: pinHint,
      },
      error,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return tlsError(
      context,
      code,
      {
        explanation: `The server's certificate is not valid for "${identity}" (its names/IP addresses do not include it).`,
        fix: 'Set tls.servername to a name the certificate contains, or re-create the certificate with this host name or IP address as a subject alternative name.',
      },
      error,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return tlsError(
      context,
      code,
      {
        explanation: `The server's certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (or a clock is wrong).`,
        fix: 'Renew the certificate on the server and check both clocks.',
      },
      error,
    );
  }
  return tlsError(
    context,
    code,
    {
      explanation: `The TLS handshake failed: ${error.message}`,
      fix: 'Check the TLS settings on both sides; ' + pinHint,
    },
    error,
  );
}
