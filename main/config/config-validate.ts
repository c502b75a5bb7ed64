/**
 * Validation of a config value against `ConfigSchema`, stricter than the schema alone: keys the
 * schema does not know are problems too (a typo must not be silently dropped), and anything that
 * looks like a password is refused with a reason that never repeats the value.
 */
import * as z from 'zod';
import { ConfigSchema, type Config } from '../../shared/config';
import { formatJsonPath, type JsonPath } from './json-locator';

export interface ValidationIssue {
  path: JsonPath;
  message: string;
  /** The problem is the property name itself (unknown key), not its value. */
  atKey: boolean;
}

export type ValidationResult =
  { ok: true; config: Config } | { ok: false; issues: ValidationIssue[] };

/** Property names that hold credentials in other programs' configs. */
const SECRET_KEY =
  /pass(?:word|wd|phrase)?|pwd|secret|token|credential|api[-_]?key|private[-_]?key/i;

export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const SECRET_HINT =
  'passwords are never stored in the config file (nor tokens): a UPS entry or alert channel says where its secret lives ' +
  '(`"password": {"source": "store"}` for the OS keychain, `{"source": "env", "name": …}` or `{"source": "file", "path": …}`)';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Peels wrappers that do not change the shape of the value (default, optional, …). */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (
      s instanceof z.ZodDefault ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodOptional ||
      s instanceof z.ZodNullable
    ) {
      s = s.unwrap() as z.ZodType;
    } else {
      return s;
    }
  }
}

/** Walks `value` along `schema` and reports object keys the schema does not declare. */
function findUnknownKeys(
  schema: z.ZodType,
  value: unknown,
  path: (string | number)[],
  out: ValidationIssue[],
): void {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    if (!isPlainObject(value)) return;
    const shape = s.shape as Record<string, z.ZodType>;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (childSchema) {
        findUnknownKeys(childSchema, child, [...path, key], out);
      } else if (child !== undefined) {
        out.push({
          path: [...path, key],
          atKey: true,
          message: looksLikeSecretKey(key)
            ? `\`${key}\` is refused: ${SECRET_HINT}`
            : `unknown setting \`${key}\` (a typo?); known here: ${Object.keys(shape).join(', ')}`,
        });
      }
    }
    return;
  }
  if (s instanceof z.ZodArray) {
    if (!Array.isArray(value)) return;
    value.forEach((item, index) =>
      findUnknownKeys(s.element as z.ZodType, item, [...path, index], out),
    );
    return;
  }
  if (s instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value))
      findUnknownKeys(s.valueType as z.ZodType, child, [...path, key], out);
    return;
  }
  if (s instanceof z.ZodUnion) {
    // Walk the option the value belongs to (for a discriminated union: the one whose tag matches).
    const options = s.options as readonly z.ZodType[];
    const match = options.find((option) => {
      const o = unwrap(option);
      if (
        s instanceof z.ZodDiscriminatedUnion &&
        o instanceof z.ZodObject &&
        isPlainObject(value)
      ) {
        const tagKey = (s.def as { discriminator: string }).discriminator;
        const tagSchema = (o.shape as Record<string, z.ZodType | undefined>)[tagKey];
        return tagSchema?.safeParse(value[tagKey]).success ?? false;
      }
      return option.safeParse(value).success;
    });
    if (match) findUnknownKeys(match, value, path, out);
  }
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let v: unknown = root;
  for (const part of path) {
    if (typeof part === 'number' ? Array.isArray(v) : isPlainObject(v))
      v = (v as Record<string | number, unknown>)[part];
    else return undefined;
  }
  return v;
}

function hasPath(root: unknown, path: JsonPath): boolean {
  let v: unknown = root;
  for (const part of path) {
    if (typeof part === 'number') {
      if (!Array.isArray(v) || part >= v.length) return false;
      v = v[part];
    } else {
      if (!isPlainObject(v) || !Object.hasOwn(v, part)) return false;
      v = v[part];
    }
  }
  return true;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ValidationIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: looksLikeSecretKey(key)
        ? `\`${key}\` is refused: ${SECRET_HINT}`
        : `unknown key \`${key}\``,
    }));
  }
  const last = path[path.length - 1];
  if (
    typeof last === 'string' &&
    looksLikeSecretKey(last) &&
    typeof valueAt(input, path) === 'string'
  ) {
    return [
      {
        path,
        atKey: false,
        message: `a password or token must not be written into the config file: ${SECRET_HINT}`,
      },
    ];
  }
  if (!hasPath(input, path) && typeof last === 'string') {
    return [
      { path, atKey: false, message: `required setting \`${last}\` is missing (${issue.message})` },
    ];
  }
  let message = issue.message;
  const value = valueAt(input, path);
  // Echo numbers only: strings could be anything, including a secret pasted into the wrong field.
  if (
    (issue.code === 'too_big' || issue.code === 'too_small' || issue.code === 'invalid_value') &&
    typeof value === 'number'
  ) {
    message += ` (found ${value})`;
  }
  return [{ path, atKey: false, message }];
}

/** Validates an unknown value as a complete config. Never throws for bad input. */
export function validateConfig(input: unknown): ValidationResult {
  const issues: ValidationIssue[] = [];
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues) issues.push(...describeIssue(issue, input));
  const unknownKeys: ValidationIssue[] = [];
  findUnknownKeys(ConfigSchema, input, [], unknownKeys);
  const already = new Set(issues.map((i) => JSON.stringify(i.path)));
  for (const u of unknownKeys) if (!already.has(JSON.stringify(u.path))) issues.push(u);
  if (issues.length > 0 || !parsed.success) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, config: parsed.data };
}

function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.sort((a, b) => formatJsonPath(a.path).localeCompare(formatJsonPath(b.path)));
}

/**
 * Paths of string values that contain one of `secrets` (so the caller can refuse to write them).
 * Only paths are returned, never the values.
 */
export function findSecretValues(
  value: unknown,
  secrets: readonly string[],
  path: (string | number)[] = [],
): JsonPath[] {
  const needles = secrets.filter((s) => s.length > 0);
  if (needles.length === 0) return [];
  if (typeof value === 'string') return needles.some((s) => value.includes(s)) ? [path] : [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => findSecretValues(item, needles, [...path, index]));
  if (isPlainObject(value)) {
    return Object.entries(value).flatMap(([key, child]) => [
      ...(needles.some((s) => key.includes(s)) ? [[...path, key]] : []),
      ...findSecretValues(child, needles, [...path, key]),
    ]);
  }
  return [];
}
