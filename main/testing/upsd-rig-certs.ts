/**
 * Certificates for the real-upsd rig's STARTTLS: an NSS cert db made by certutil (libnss3-tools),
 * cached per process and per set of subject alternative names.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from '../demo/nut-daemons';

import { NUT_BINARIES } from './upsd-rig-presets';

const execFileAsync = promisify(execFile);

export interface CertBundle {
  dir: string;
  password: string;
  nickname: string;
  certPem: string;
  fingerprint256: string;
}

const certCache = new Map<string, Promise<CertBundle>>();
const CERT_NICKNAME = 'nut-test-server';

async function certutil(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(NUT_BINARIES.certutil, args, { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const hint = (error as { code?: string }).code === 'ENOENT' ? ' (install libnss3-tools)' : '';
    throw new Error(
      `certutil ${args.join(' ')} failed${hint}: ${stderr || (error as Error).message}`,
      { cause: error },
    );
  }
}

/** Creates (once per process and SAN set) an NSS db with a self-signed server certificate. */
export function getCertBundle(sans: readonly string[]): Promise<CertBundle> {
  const key = sans.join(',');
  let bundle = certCache.get(key);
  if (!bundle) {
    bundle = makeCertBundle(sans);
    certCache.set(key, bundle);
    bundle.catch(() => certCache.delete(key));
  }
  return bundle;
}

async function makeCertBundle(sans: readonly string[]): Promise<CertBundle> {
  const dir = await makeTempDir('certs');
  const password = randomBytes(12).toString('hex');
  const pwFile = path.join(dir, 'pw.txt');
  const noiseFile = path.join(dir, 'noise.bin');
  const db = path.join(dir, 'db');
  await fsp.mkdir(db, { mode: 0o700 });
  await fsp.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  await fsp.writeFile(noiseFile, randomBytes(2048), { mode: 0o600 });
  await certutil(['-N', '-d', `sql:${db}`, '-f', pwFile]);
  // main/nut/README.md §3.4, with --extSAN instead of -8 so 127.0.0.1 is an IP SAN (Node checks IPs against IP SANs only).
  await certutil([
    '-S',
    '-d',
    `sql:${db}`,
    '-n',
    CERT_NICKNAME,
    '-s',
    'CN=localhost',
    '-t',
    'CT,,',
    '-x',
    '-k',
    'rsa',
    '-g',
    '2048',
    '-v',
    '12',
    '-f',
    pwFile,
    '-z',
    noiseFile,
    '--extSAN',
    sans.join(','),
  ]);
  const certPem = await certutil(['-L', '-d', `sql:${db}`, '-n', CERT_NICKNAME, '-a']);
  const fingerprint256 = new X509Certificate(certPem).fingerprint256;
  return { dir: db, password, nickname: CERT_NICKNAME, certPem, fingerprint256 };
}

/**
 * A self-signed certificate made the same way as the TLS rig's (NSS certutil), for tests that need
 * a certificate other than the server's (e.g. a wrong CA). Cached per SAN list.
 */
export async function makeTestCertificate(
  sans: readonly string[] = ['dns:other.invalid'],
): Promise<{ certPem: string; fingerprint256: string }> {
  const bundle = await getCertBundle(sans);
  return { certPem: bundle.certPem, fingerprint256: bundle.fingerprint256 };
}
