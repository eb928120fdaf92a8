// Small notifications in the corner. Errors stay until dismissed; the rest fade after a few seconds.
import { byId, h } from './dom';

export type ToastKind = 'success' | 'error' | 'info';

export function toast(kind: ToastKind, title: string, detail?: string | Node, timeoutMs = 6000): void {
  const region = byId('toasts');
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss notification' }, '✕');
  const el = h(
    'div',
    { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind },
    h(
      'div',
      { class: 'toast-text' },
      h('strong', {}, title),
      detail ? h('div', { class: 'toast-detail' }, detail) : null,
    ),
    close,
  );
  const remove = () => {
    el.classList.add('toast-leaving');
    window.setTimeout(() => el.remove(), 180);
  };
  close.addEventListener('click', remove);
  region.prepend(el);
  while (region.children.length > 4) region.lastElementChild?.remove();
  if (kind !== 'error') window.setTimeout(remove, timeoutMs);
}
