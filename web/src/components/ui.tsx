import type { ReactNode } from 'react';
import { fmt, tone, type FormatOptions } from '../lib/format';

export function Panel(props: {
  title: ReactNode;
  actions?: ReactNode;
  className?: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className={`panel ${props.className ?? ''}`} data-testid={props.testId}>
      <header className="panel-head">
        <h2>{props.title}</h2>
        {props.actions && <div className="panel-actions">{props.actions}</div>}
      </header>
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Notice(props: {
  kind?: 'error' | 'ok' | 'info';
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div
      className={`notice ${props.kind ?? 'info'}`}
      role={props.kind === 'error' ? 'alert' : 'status'}
      data-testid={props.testId}
    >
      {props.children}
    </div>
  );
}

/**
 * A server message under the field it names. Trading rules answer `code: text`
 * (`quantity_not_positive: must be greater than 0`): the text is shown, the code beside it.
 */
export function FieldError({ message, name }: { message: string | undefined; name: string }) {
  if (!message) return null;
  const m = /^([a-z][a-z0-9_]*): (.+)$/.exec(message);
  return (
    <div className="field-error" role="alert" data-testid={`error-${name}`}>
      {m ? m[2] : message}
      {m && <code>{m[1]}</code>}
    </div>
  );
}

/** A decimal from the API, formatted by moving digits only. */
export function Num(
  props: FormatOptions & { value: string | null | undefined; colored?: boolean; suffix?: string },
) {
  const { value, colored, suffix, ...o } = props;
  return (
    <span className={`num ${colored ? tone(value) : ''}`}>
      {fmt(value, o)}
      {suffix && value !== null && value !== undefined ? (
        <span className="unit"> {suffix}</span>
      ) : null}
    </span>
  );
}

export function SideTag({ side }: { side: 'buy' | 'sell' }) {
  return <span className={`side ${side === 'buy' ? 'up' : 'down'}`}>{side}</span>;
}

/** A labelled text input with the server's message for it underneath. */
export function TextField(props: {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  /** The API's field name, for the message and its test id. */
  name: string;
  error: string | undefined;
  inputMode?: 'decimal' | 'numeric' | 'text';
  placeholder?: string;
  className?: string;
}) {
  return (
    <div className={props.className ?? 'grow'}>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        inputMode={props.inputMode}
        autoComplete="off"
        placeholder={props.placeholder}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={Boolean(props.error)}
      />
      <FieldError name={props.name} message={props.error} />
    </div>
  );
}
