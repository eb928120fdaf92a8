// The one dialog that asks before an operator action: what it does, and, for the audited ones, why (kept in the
// audit with who asked) or, for a redrive, in which mode to run again. Who asked is remembered in localStorage.
import { byId, h } from './dom';
import { EXECUTION_MODES, type ExecutionMode } from './types';

const OPERATOR_KEY = 'spillway.operator';

export interface ConfirmOptions {
  title: string;
  message: string;
  /** The confirm button's label. */
  confirm: string;
  danger?: boolean;
  /** required: audited actions (the API refuses them without one); optional: a note; none: a plain confirmation. */
  reason?: 'required' | 'optional' | 'none';
  /** Offer another execution mode (a redrive). */
  modes?: boolean;
}

export interface Confirmed {
  reason?: string;
  /** Who acted, as typed; absent lets the API name the key (or itself). */
  by?: string;
  executionMode?: ExecutionMode;
}

const dialog = byId<HTMLDialogElement>('confirm');
const title = byId('confirm-title');
const message = byId('confirm-message');
const reasonField = byId('confirm-reason-field');
const reasonLabel = byId('confirm-reason-label');
const reasonInput = byId<HTMLInputElement>('confirm-reason');
const byField = byId('confirm-by-field');
const byInput = byId<HTMLInputElement>('confirm-by');
const modeField = byId('confirm-mode-field');
const modeSelect = byId<HTMLSelectElement>('confirm-mode');
const okButton = byId<HTMLButtonElement>('confirm-ok');
for (const mode of EXECUTION_MODES) modeSelect.append(h('option', { value: mode }, mode));

function storedOperator(): string {
  try {
    return localStorage.getItem(OPERATOR_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Asks; resolves with what was typed, or null when the dialog was cancelled (or another one is open). */
export function confirmAction(options: ConfirmOptions): Promise<Confirmed | null> {
  if (dialog.open) return Promise.resolve(null);
  const reason = options.reason ?? 'none';
  title.textContent = options.title;
  message.textContent = options.message;
  reasonField.hidden = reason === 'none';
  reasonLabel.textContent = reason === 'required' ? 'Reason (kept in the audit)' : 'Note (optional)';
  reasonInput.required = reason === 'required';
  // A reason of spaces only is no reason: the API would refuse it.
  if (reason === 'required') reasonInput.pattern = '.*\\S.*';
  else reasonInput.removeAttribute('pattern');
  reasonInput.value = '';
  byField.hidden = reason !== 'required';
  byInput.value = storedOperator();
  modeField.hidden = !options.modes;
  modeSelect.value = '';
  okButton.textContent = options.confirm;
  okButton.classList.toggle('btn-danger', Boolean(options.danger));
  okButton.classList.toggle('btn-primary', !options.danger);
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (dialog.returnValue !== 'ok') return resolve(null);
        const by = byInput.value.trim();
        if (reason === 'required') {
          try {
            if (by) localStorage.setItem(OPERATOR_KEY, by);
            else localStorage.removeItem(OPERATOR_KEY);
          } catch {
            // Not remembered; asked again next time.
          }
        }
        resolve({
          reason: reasonInput.value.trim() || undefined,
          by: reason === 'required' && by ? by : undefined,
          executionMode: options.modes && modeSelect.value ? (modeSelect.value as ExecutionMode) : undefined,
        });
      },
      { once: true },
    );
    dialog.showModal();
    (reason === 'none' ? okButton : reasonInput).focus();
  });
}
