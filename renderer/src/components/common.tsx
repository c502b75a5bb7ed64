/** Small shared building blocks: status pill, gauge, callouts, form fields, switches, tabs. */
import { type InputHTMLAttributes, type KeyboardEvent, type ReactNode, useId, useRef } from 'react';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { LEVEL_LABEL, clamp } from '../format';
import { AlertIcon, CheckIcon, CrossIcon, InfoIcon } from '../icons';
import { useApp } from '../store';

export type Level = UpsSnapshot['level'];

export function StatusPill({
  level,
  text,
  stale,
}: {
  level: Level;
  text?: string;
  stale?: boolean;
}) {
  return (
    <span
      className={`pill level-${stale ? 'comm-lost' : level}`}
      data-testid="status-pill"
      data-level={level}
    >
      <span className="pill-dot" aria-hidden="true" />
      {text ?? LEVEL_LABEL[level]}
    </span>
  );
}

/** A ring gauge for the battery charge. Unknown is drawn as an empty dashed ring, never as 0. */
export function ChargeGauge({
  value,
  stale,
  size = 112,
  label = 'Battery charge',
}: {
  value: number | null;
  stale?: boolean;
  size?: number;
  label?: string;
}) {
  const r = 42;
  const circumference = 2 * Math.PI * r;
  const v = value === null ? null : clamp(value, 0, 100);
  const tone = v === null || stale ? 'muted' : v < 20 ? 'bad' : v < 50 ? 'warn' : 'good';
  return (
    <div
      className={`gauge tone-${tone}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={v ?? undefined}
      aria-valuetext={
        v === null ? 'unknown' : `${Math.round(v)} percent${stale ? ', last known' : ''}`
      }
      data-testid="charge-gauge"
      style={{ width: size, height: size }}
    >
      <svg viewBox="0 0 100 100" width={size} height={size} aria-hidden="true">
        <circle
          className="gauge-track"
          cx="50"
          cy="50"
          r={r}
          strokeDasharray={v === null ? '4 6' : undefined}
        />
        {v !== null && (
          <circle
            className="gauge-value"
            cx="50"
            cy="50"
            r={r}
            strokeDasharray={`${(v / 100) * circumference} ${circumference}`}
            transform="rotate(-90 50 50)"
          />
        )}
      </svg>
      <div className="gauge-text" aria-hidden="true">
        <span className="gauge-number">{v === null ? '—' : Math.round(v)}</span>
        <span className="gauge-unit">{v === null ? 'unknown' : '%'}</span>
      </div>
    </div>
  );
}

/** A thin horizontal bar (load). */
export function Bar({ value, label }: { value: number | null; label: string }) {
  const v = value === null ? null : clamp(value, 0, 100);
  const tone = v === null ? 'muted' : v >= 90 ? 'bad' : v >= 70 ? 'warn' : 'good';
  return (
    <div
      className={`bar tone-${tone}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={v ?? undefined}
      aria-valuetext={v === null ? 'unknown' : `${Math.round(v)} percent`}
    >
      <div className="bar-fill" style={{ width: `${v ?? 0}%` }} />
    </div>
  );
}

type Tone = 'info' | 'warn' | 'bad' | 'good';

export function Callout({
  tone,
  title,
  children,
  action,
  testId,
  role,
}: {
  tone: Tone;
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
  role?: 'alert' | 'status';
}) {
  const Icon = tone === 'good' ? CheckIcon : tone === 'info' ? InfoIcon : AlertIcon;
  return (
    <div className={`callout tone-${tone}`} data-testid={testId} role={role}>
      <Icon className="callout-icon" size={20} />
      <div className="callout-body">
        <div className="callout-title">{title}</div>
        {children}
        {action && <div className="callout-action">{action}</div>}
      </div>
    </div>
  );
}

/** Text with `backtick` spans shown as code (the core's diagnoses quote config lines that way). */
export function RichText({ text }: { text: string }) {
  const parts = text.split(/`([^`]+)`/g);
  return <>{parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}</>;
}

/** Explanation + fix, as the core's diagnoses carry them. */
export function DiagnosisText({
  explanation,
  fix,
  code,
}: {
  explanation: string;
  fix?: string | undefined;
  code?: string;
}) {
  return (
    <>
      <p className="diag-explanation">
        <RichText text={explanation} />
        {code ? <code className="diag-code"> {code}</code> : null}
      </p>
      {fix && (
        <p className="diag-fix">
          <strong>Fix: </strong>
          <RichText text={fix} />
        </p>
      )}
    </>
  );
}

export function ErrorBox({
  error,
  testId,
}: {
  error: { message: string; fix?: string | undefined } | null;
  testId?: string;
}) {
  // Without a valid token every call fails the same way; the transport banner alone explains it.
  const unauthorized = useApp((s) => s.transport.kind === 'unauthorized');
  if (!error || unauthorized) return null;
  return (
    <Callout tone="bad" title="Something went wrong" role="alert" testId={testId}>
      <DiagnosisText explanation={error.message} fix={error.fix} />
    </Callout>
  );
}

/** A labelled form field with hint and inline error (aria-describedby/aria-invalid wired). */
export function Field({
  label,
  hint,
  error,
  children,
  className,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  children: (props: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
  }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={errorId}>
          <CrossIcon size={14} />{' '}
          <span>
            <RichText text={error} />
          </span>
        </div>
      )}
    </div>
  );
}

/**
 * A number input whose empty box is NaN: the form keeps it and its validation says what is
 * missing, instead of the box snapping back to a number while the user types.
 */
export function NumberInput({
  value,
  onValue,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'value' | 'onChange'> & {
  value: number;
  onValue: (value: number) => void;
}) {
  return (
    <input
      {...input}
      type="number"
      value={Number.isNaN(value) ? '' : value}
      onChange={(e) => onValue(e.target.valueAsNumber)}
    />
  );
}

/** A checkbox rendered as a switch (keeps native keyboard and form semantics). */
export function Switch({
  checked,
  onChange,
  label,
  hint,
  testId,
  disabled,
}: {
  checked: boolean;
  onChange: (value: boolean) => void;
  label: ReactNode;
  hint?: ReactNode;
  testId?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="switch-row">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        data-testid={testId}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <div>
        <label htmlFor={id} className="switch-label">
          {label}
        </label>
        {hint && (
          <div className="field-hint" id={`${id}-hint`}>
            {hint}
          </div>
        )}
      </div>
    </div>
  );
}

/** Accessible tabs as links (each tab is a route), arrow keys move between them. */
export function TabLinks<T extends string>({
  tabs,
  current,
  hrefOf,
  label,
}: {
  tabs: readonly { id: T; label: ReactNode }[];
  current: T;
  hrefOf: (id: T) => string;
  label: string;
}) {
  const ref = useRef<HTMLElement>(null);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const links = [...(ref.current?.querySelectorAll<HTMLAnchorElement>('a') ?? [])];
    const index = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (index < 0) return;
    e.preventDefault();
    const next = links[(index + (e.key === 'ArrowRight' ? 1 : links.length - 1)) % links.length];
    next?.focus();
  };
  return (
    <nav className="tabs" aria-label={label} ref={ref} onKeyDown={onKeyDown}>
      {tabs.map((tab) => (
        <a
          key={tab.id}
          href={hrefOf(tab.id)}
          className={`tab${tab.id === current ? ' is-current' : ''}`}
          aria-current={tab.id === current ? 'page' : undefined}
          data-testid={`tab-${tab.id}`}
        >
          {tab.label}
        </a>
      ))}
    </nav>
  );
}

/** A radio group drawn as a segmented control. */
export function Segmented<T extends string>({
  options,
  value,
  onChange,
  label,
  testId,
}: {
  options: readonly { value: T; label: ReactNode }[];
  value: T;
  onChange: (v: T) => void;
  label: string;
  testId?: string;
}) {
  const name = useId();
  return (
    <fieldset className="segmented" data-testid={testId}>
      <legend className="visually-hidden">{label}</legend>
      {options.map((o) => (
        <label key={o.value} className={`segment${o.value === value ? ' is-selected' : ''}`}>
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={o.value === value}
            onChange={() => onChange(o.value)}
          />
          <span>{o.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      {children}
      {action && <div className="empty-actions">{action}</div>}
    </div>
  );
}

/** After a refused submit: bring the first invalid field into view and focus it. */
export function focusFirstInvalid(root: HTMLElement | null): void {
  requestAnimationFrame(() => {
    const el = root?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.focus({ preventScroll: true });
    }
  });
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status">
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
