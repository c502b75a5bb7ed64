/**
 * The NUT network client: a protocol-correct upsd client for plain Node (no electron).
 *
 * Entry point: {@link NutClient.connect}. Every failure is a {@link NutError} with `kind`, `code`,
 * `explanation` and `fix`.
 */
export {
  NutClient,
  DEFAULT_NUT_PORT,
  normalizeFingerprint,
  type ActionOptions,
  type ActionResult,
  type NutCapabilities,
  type NutClientEvents,
  type NutClientOptions,
  type NutRange,
  type NutTlsOptions,
  type NutUpsInfo,
  type NutVarType,
  type SocketFactory,
  type TlsMode,
  type TrackingResult,
} from './client.js';
export {
  ClientErrorCode,
  NUT_ERR_CODES,
  NutError,
  describeErrCode,
  hasServerCode,
  isKnownErrCode,
  type ErrDescription,
  type NutErrCode,
  type NutErrorContext,
  type NutErrorInit,
  type NutErrorKind,
} from './errors.js';
export {
  MAX_WORDS_PER_COMMAND,
  MAX_WORD_LENGTH,
  REDACTED,
  buildCommand,
  encodeArg,
  quoteArg,
  quoted,
  secret,
  tokenize,
  tokenizeDetailed,
  type CommandWord,
  type EncodedCommand,
  type TokenizeIssue,
} from './protocol.js';
export { DEFAULT_MAX_LINE_LENGTH, LineReader, type ReaderEvent } from './line-reader.js';
