// Number fields checked as they are typed, with the message next to the field (not a raw error
// after Train). A field's rule comes from its own attributes: min, max, and step="1" for whole
// numbers (any whole step); data-label names it in messages (else its label's text).
import { fmtInt } from './models.js';

const fmt = (v) => (Math.abs(v) >= 1000 ? fmtInt(v) : String(v));

function labelOf(input) {
  if (input.dataset.label) return input.dataset.label;
  const label = input.closest('label');
  const text = label ? [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(' ').trim() : '';
  return text || input.getAttribute('aria-label') || input.id;
}

let unnamed = 0;

function errorElement(input) {
  input.id ||= `field-${++unnamed}`;
  const id = `${input.id}-error`;
  let el = document.getElementById(id);
  if (!el) {
    el = Object.assign(document.createElement('span'), { id, className: 'field-error' });
    el.setAttribute('role', 'alert');
    const label = input.closest('label');
    // In a grid of labelled fields the message goes inside the field's label (grids keep their cells);
    // in a wrapping row of small fields, after it on a line of its own.
    if (label && !label.matches('.layer-field, .reg-param')) label.append(el);
    else (label ?? input).after(el);
    input.setAttribute('aria-describedby', id);
  }
  return el;
}

/** Checks one number field; shows or clears its message. Returns the value, or null when invalid. */
export function checkField(input) {
  if (input.disabled) return Number(input.value);
  const min = Number(input.min);
  const max = Number(input.max);
  const whole = /^[1-9]\d*$/.test(input.step);
  const raw = input.value.trim();
  const v = Number(raw);
  let problem = '';
  const range = `${whole ? 'a whole number' : 'a number'} from ${fmt(min)} to ${fmt(max)}`;
  if (input.validity?.badInput || (raw !== '' && !Number.isFinite(v))) problem = `${labelOf(input)} must be ${range}; “${raw || 'that'}” is not a number.`;
  else if (raw === '') problem = `${labelOf(input)} is empty: enter ${range}.`;
  else if (whole && !Number.isInteger(v)) problem = `${labelOf(input)} must be a whole number (not ${raw}).`;
  else if (v < min || v > max) problem = `${labelOf(input)} must be ${range} (not ${raw}).`;
  const err = errorElement(input);
  err.textContent = problem;
  input.setAttribute('aria-invalid', String(!!problem));
  return problem ? null : v;
}

/** Checks every enabled number field in `root`; the first invalid one, or null. */
export function firstInvalid(root) {
  let bad = null;
  for (const input of root.querySelectorAll('input[type=number]')) {
    if (!input.disabled && checkField(input) === null) bad ??= input;
  }
  return bad;
}
