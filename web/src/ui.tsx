/** Small accessible building blocks: a labelled field with its help and its error, a status line, a loader. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { useT } from './i18n/index.js';

let nextId = 0;
const useId = (prefix: string) => useState(() => `${prefix}-${++nextId}`)[0];

export function Field(props: {
  label: string;
  help?: string;
  error?: string | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ComponentChildren;
}) {
  const id = useId('f');
  const helpId = props.help ? `${id}-help` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: props.error !== undefined })}
      {props.help && <p class="help" id={helpId}>{props.help}</p>}
      {props.error && <p class="error" id={errorId} role="alert">{props.error}</p>}
    </div>
  );
}

export function TextField(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  help?: string;
  error?: string | undefined;
  type?: 'text' | 'email' | 'password' | 'date';
  name?: string;
  autoComplete?: string;
  inputMode?: 'decimal' | 'numeric' | 'text' | 'email';
  required?: boolean;
  disabled?: boolean;
}) {
  return (
    <Field label={props.label} help={props.help} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <input
          {...({
            id,
            name: props.name,
            type: props.type ?? 'text',
            value: props.value,
            autoComplete: props.autoComplete,
            inputMode: props.inputMode,
            required: props.required,
            disabled: props.disabled,
            'aria-describedby': describedBy,
            'aria-invalid': invalid,
          } as Record<string, unknown>)}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
      )}
    </Field>
  );
}

export function SelectField<V extends string>(props: {
  label: string;
  value: V;
  options: ReadonlyArray<{ value: V; label: string }>;
  onChange: (v: V) => void;
  error?: string | undefined;
  name?: string;
  disabled?: boolean;
}) {
  return (
    <Field label={props.label} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <select id={id} name={props.name} value={props.value} disabled={props.disabled} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as V)}>
          {props.options.map((o) => (
            <option value={o.value}>{o.label}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A whole-form error (not tied to one field), read out when it appears. */
export function FormError({ error }: { error: unknown }) {
  const { t } = useT();
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  // Field errors are shown next to their fields; a 400 naming only fields needs nothing here.
  if (e && e.fields.length > 0 && e.fields.every((f) => f.path !== '')) return null;
  return <p class="banner banner-error" role="alert">{t('app.error', { message: e?.message ?? String(error) })}</p>;
}

export function Notice({ children, kind = 'ok' }: { children: ComponentChildren; kind?: 'ok' | 'info' }) {
  return <p class={`banner banner-${kind}`} role="status">{children}</p>;
}

/** Loads data for a page; shows a loader, then the page or the error with a retry. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, reload: () => setTick((n) => n + 1) };
}

export function Loading({ error, retry }: { error?: unknown; retry?: () => void }) {
  const { t } = useT();
  if (error) {
    return (
      <div>
        <FormError error={error} />
        {retry && <button type="button" onClick={retry}>{t('app.retry')}</button>}
      </div>
    );
  }
  return <p aria-busy="true">{t('app.loading')}</p>;
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${typeof children === 'string' ? children : ''} · Tollgate`;
  }, [children]);
  useEffect(() => {
    // Chosen from the navigation: a screen reader hears the new page's title, the keyboard starts there.
    if (document.activeElement?.closest('nav')) heading.current?.focus();
  }, []);
  return <h1 id="page-title" ref={heading} tabIndex={-1}>{children}</h1>;
}
