// A card of the operations area: a heading, and a body that is aria-busy while it loads. Loads never overlap: a
// call while one runs asks for one more round after it, so the last word is always a fresh read.
import { describeError } from './api';
import { append, clear, h } from './dom';

export interface PanelOptions {
  id: string;
  title: string;
  hint: string;
  /**
   * What the body shows before the first load, for a panel that loads when its user asks (a form): it is not busy
   * meanwhile, and counts as loaded, so a failed load leaves it in place.
   */
  initial?: Node[];
}

export class Panel {
  readonly body: HTMLElement;
  private running: Promise<void> | null = null;
  private again = false;
  private soonTimer: number | undefined;
  private loadedOnce = false;

  constructor(
    root: HTMLElement,
    options: PanelOptions,
    private readonly loader: () => Promise<void>,
  ) {
    this.body = options.initial
      ? h('div', { class: 'ops-body' }, options.initial)
      : h('div', { class: 'ops-body', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
    this.loadedOnce = options.initial !== undefined;
    root.setAttribute('aria-labelledby', `${options.id}-heading`);
    append(root, [
      h(
        'header',
        { class: 'card-head' },
        h('h2', { id: `${options.id}-heading` }, options.title),
        h('span', { class: 'card-hint' }, options.hint),
      ),
      this.body,
    ]);
  }

  load(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.body.setAttribute('aria-busy', 'true');
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.loader();
          this.loadedOnce = true;
        } catch (err) {
          // What was shown stays (the next round may succeed); a panel that never loaded says why.
          if (!this.loadedOnce) this.show(h('p', { class: 'error-text' }, `Unavailable: ${describeError(err)}`));
        }
      } while (this.again);
    })().finally(() => {
      this.running = null;
      this.body.removeAttribute('aria-busy');
    });
    return this.running;
  }

  /** Something changed: load again shortly, once for a burst of changes. */
  soon(delayMs = 1500): void {
    if (this.soonTimer !== undefined) return;
    this.soonTimer = window.setTimeout(() => {
      this.soonTimer = undefined;
      void this.load();
    }, delayMs);
  }

  /** Also load every `ms` while the page is visible (for what the live feed does not announce). */
  every(ms: number): void {
    window.setInterval(() => {
      if (document.visibilityState === 'visible') void this.load();
    }, ms);
  }

  show(...content: (Node | null)[]): void {
    clear(this.body);
    append(this.body, content);
  }
}

/** A button that is disabled and says so while its action runs. */
export function actionButton(
  label: string,
  attrs: Record<string, string | undefined>,
  action: () => Promise<void>,
): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn btn-small', ...attrs }, label);
  button.addEventListener('click', () => {
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    void action().finally(() => {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    });
  });
  return button;
}
