import { ApiError } from '../api';
import { h, type Child } from '../dom';

/** The page frame every view renders into: a heading, then its sections. */
export function page(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'page', 'aria-labelledby': 'page-title' }, h('h1', { id: 'page-title', tabindex: '-1' }, title), ...children);
}

export function errorBox(err: unknown): HTMLElement {
  const text = err instanceof ApiError ? `${err.status} ${err.body.code}: ${err.body.message}` : err instanceof Error ? err.message : String(err);
  return h('p', { class: 'error', role: 'alert' }, text);
}

/** Runs an action from a button: disables it meanwhile and shows a failure next to it. */
export function action(label: string, run: () => Promise<void>, props: Record<string, string> = {}): HTMLButtonElement {
  const button = h('button', { type: 'button', ...props }, label);
  button.addEventListener('click', () => {
    button.disabled = true;
    button.parentElement?.querySelector(':scope > .error')?.remove();
    run()
      .catch((err: unknown) => button.after(errorBox(err)))
      .finally(() => {
        button.disabled = false;
      });
  });
  return button;
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))) : h('tr', {}, h('td', { colspan: headers.length }, 'Nothing here yet.'))),
    ),
  );
}

export function submitForm(form: HTMLFormElement, run: (data: FormData) => Promise<void>): HTMLFormElement {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    form.querySelector(':scope > .error')?.remove();
    const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
    if (submit) submit.disabled = true;
    run(new FormData(form))
      .catch((err: unknown) => form.append(errorBox(err)))
      .finally(() => {
        if (submit) submit.disabled = false;
      });
  });
  return form;
}

/** Re-runs `tick` every `ms` while the view is on screen and `tick` says so (true = keep going). */
export function poll(anchor: Element, ms: number, tick: () => Promise<boolean>): void {
  const step = async () => {
    if (!anchor.isConnected) return;
    const again = await tick().catch(() => true);
    if (again && anchor.isConnected) setTimeout(() => void step(), ms);
  };
  setTimeout(() => void step(), ms);
}
