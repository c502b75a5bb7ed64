/**
 * "Type the UPS name to confirm": the guard in front of anything that can cut the power (the
 * master-mode FSD test, load.off/shutdown.* commands). The core checks the typed name again.
 */
import { Field } from './common';

export function TypedNameConfirm({
  name,
  value,
  onChange,
  hint,
  testId,
}: {
  name: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  testId?: string;
}) {
  return (
    <Field label={`Type the UPS name (${name}) to confirm`} hint={hint}>
      {(p) => (
        <input
          {...p}
          className="mono"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          data-testid={testId}
        />
      )}
    </Field>
  );
}

/** Whether the typed text confirms `name` (exactly: UPS names are case-sensitive in NUT). */
export function confirmsName(typed: string, name: string): boolean {
  return typed === name;
}
