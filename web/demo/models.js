// The models the page knows: the pretrained digits model, Fashion-MNIST (loaded when chosen), the
// last trained in the page, the last fine-tuned, the last taught new classes, the last loaded from
// disk; one of them is active (it predicts and is shown inside). Replacing a kind disposes the model
// it held. Listeners hear every change.

export const KIND_LABELS = {
  pretrained: 'Pretrained',
  'fashion-mnist': 'Pretrained',
  trained: 'Trained here',
  'trained-earlier': 'Trained here earlier',
  finetuned: 'Fine-tuned',
  taught: 'Taught',
  file: 'From file',
};

export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The class names a model's file records (metadata.classes), else digits for 10 outputs. */
export function classesOf(model) {
  const n = model.outputShape[model.outputShape.length - 1];
  const named = model.metadata?.classes;
  if (Array.isArray(named) && named.length === n && named.every((c) => typeof c === 'string')) return named;
  if (n === 10) return /fashion/i.test(String(model.metadata?.name ?? '')) ? FASHION_CLASSES : DIGIT_CLASSES;
  return Array.from({ length: n }, (_, i) => `class ${i}`);
}

/** What the inputs are: 'digits' (drawn on the pad, MNIST-centred), 'pictures' (Fashion-MNIST) or 'drawings' (taught classes). */
export function domainOf(classes, model) {
  if (classes === FASHION_CLASSES || model.metadata?.preprocessing?.centering === 'none') return 'pictures';
  return classes.join() === DIGIT_CLASSES.join() ? 'digits' : 'drawings';
}

/** Throws unless the model takes 28x28x1 images and gives 2 to 100 class probabilities. */
export function checkDigitModel(model) {
  const i = model.inputShape.slice(1);
  const o = model.outputShape.slice(1);
  if (i.join() !== '28,28,1' || o.length !== 1 || o[0] < 2 || o[0] > 100) {
    throw new Error(`this model takes [${i}] and gives [${o}]; the page needs a model taking 28×28×1 drawings and giving 2 to 100 class probabilities`);
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

  /**
   * Adds (or replaces) the model of a kind and, unless activate is false, makes it active.
   * accuracyOn says on what the accuracy was measured; the model file's own record is used when not given.
   */
  set(kind, model, { name, accuracy, accuracyOn, file, activate = true } = {}) {
    const old = this.#entries.get(kind);
    const meta = model.metadata ?? {};
    const classes = classesOf(model);
    const entry = {
      kind,
      model,
      name: name ?? meta.name ?? KIND_LABELS[kind],
      accuracy: accuracy ?? (typeof meta.accuracy === 'number' ? meta.accuracy : null),
      // A fine-tuned or trained model records accuracyOn; heldOut belongs to a pretrained model's card.
      accuracyOn: accuracyOn ?? meta.accuracyOn ?? meta.heldOut ?? null,
      file: file ?? null,
      params: model.countParams(),
      classes,
      domain: domainOf(classes, model),
    };
    this.#entries.set(kind, entry);
    if (activate || !this.#active || this.#active === old) this.#active = entry;
    if (old && old.model !== model) old.model.dispose();
    this.#emit();
    return entry;
  }

  /** Files the model of `kind` under `to` instead (disposing what `to` held); it stays active if it was. */
  rekey(kind, to) {
    const e = this.#entries.get(kind);
    if (!e) return;
    const old = this.#entries.get(to);
    this.#entries.delete(kind);
    e.kind = to;
    this.#entries.set(to, e);
    if (old && old.model !== e.model) old.model.dispose();
    this.#emit();
  }

  activate(kind) {
    const e = this.#entries.get(kind);
    if (!e || e === this.#active) return false;
    this.#active = e;
    this.#emit();
    return true;
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
