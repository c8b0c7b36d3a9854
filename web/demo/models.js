// The models the page knows: the pretrained one, the last trained in the page, the last fine-tuned,
// the last loaded from disk; one of them is active (it predicts and is shown inside). Replacing a
// kind disposes the model it held. Listeners hear every change.

export const KIND_LABELS = {
  pretrained: 'Pretrained',
  trained: 'Trained here',
  finetuned: 'Fine-tuned',
  file: 'From file',
};

/** Throws unless the model takes 28x28x1 images and gives 10 outputs. */
export function checkDigitModel(model) {
  const i = model.inputShape.slice(1);
  const o = model.outputShape.slice(1);
  if (i.join() !== '28,28,1' || o.join() !== '10') {
    throw new Error(`this model takes [${i}] and gives [${o}]; the page needs a digit model taking [28,28,1] and giving [10]`);
  }
}

export class ModelRegistry {
  #entries = new Map();
  #active = null;
  #listeners = [];

  on(fn) {
    this.#listeners.push(fn);
  }

  #emit() {
    for (const fn of this.#listeners) fn(this.#active);
  }

  get active() {
    return this.#active;
  }

  get(kind) {
    return this.#entries.get(kind) ?? null;
  }

  entries() {
    return Object.keys(KIND_LABELS).map((k) => this.#entries.get(k)).filter(Boolean);
  }

  /** Adds (or replaces) the model of a kind and makes it active. */
  set(kind, model, { name, accuracy, accuracyOn, file } = {}) {
    const old = this.#entries.get(kind);
    const entry = {
      kind,
      model,
      name: name ?? model.metadata?.name ?? KIND_LABELS[kind],
      accuracy: accuracy ?? (typeof model.metadata?.accuracy === 'number' ? model.metadata.accuracy : null),
      accuracyOn: accuracyOn ?? model.metadata?.heldOut ?? model.metadata?.accuracyOn ?? null,
      file: file ?? null,
      params: model.countParams(),
    };
    this.#entries.set(kind, entry);
    this.#active = entry;
    if (old && old.model !== model) old.model.dispose();
    this.#emit();
    return entry;
  }

  activate(kind) {
    const e = this.#entries.get(kind);
    if (!e || e === this.#active) return;
    this.#active = e;
    this.#emit();
  }
}

/**
 * 12,345: thousands separated by hand. (toLocaleString's first call loads ICU's locale data: about
 * a quarter of a second on the page's critical path.)
 */
export function fmtInt(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "98.3%" or "" */
export function pct(v, digits = 1) {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '';
}
