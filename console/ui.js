// Small DOM helpers: elements are built with properties and text nodes (never innerHTML), so
// nothing a user typed can become markup.
import { ApiError, describeError, sentence } from './api.js';

let ids = 0;
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** h('button', { class: 'x', onclick: fn, 'aria-label': '...' }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Says something to screen readers (and shows it briefly) through the polite live region. */
export function announce(text) {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  // A new text node in a cleared region is read even when the words repeat.
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}

/**
 * A labelled form control with its hint and its error line, tied together by aria-describedby.
 * `control` is 'input' (default), 'select' or 'textarea'; `options` for a select: [{value, label}].
 */
export function field(label, name, attrs = {}, { control = 'input', options = [], hint } = {}) {
  const id = uid(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  let input;
  if (control === 'select') {
    input = h('select', { id, name, 'aria-describedby': describedBy, ...attrs }, options.map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
  } else if (control === 'textarea') {
    input = h('textarea', { id, name, 'aria-describedby': describedBy, ...attrs });
  } else {
    input = h('input', { id, name, 'aria-describedby': describedBy, type: 'text', ...attrs });
  }
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, attrs.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'error', id: errorId, hidden: true }),
  );
}

export function setFieldError(form, name, message) {
  const input = form.elements.namedItem(name);
  if (!input || !(input instanceof HTMLElement)) return false;
  input.setAttribute('aria-invalid', 'true');
  const error = document.getElementById(`${input.id}-error`);
  if (error) {
    error.textContent = sentence(message);
    error.hidden = false;
  }
  return true;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) {
    el.textContent = '';
    el.hidden = true;
  }
  const general = form.querySelector('.form-error');
  if (general) {
    general.textContent = '';
    general.hidden = true;
  }
}

/** The form-level error line (role=alert, so it is read out as it appears). */
export function formError() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

export function showFormError(form, message) {
  const general = form.querySelector('.form-error');
  if (general) {
    general.textContent = message;
    general.hidden = false;
  }
}

/** The browser's own check of a control, in words (required, type=email, minlength...). */
function browserMessage(input) {
  const v = input.validity;
  if (v.valueMissing) return 'required';
  if (v.typeMismatch && input.type === 'email') return 'expected an email address such as ada@example.com';
  if (v.tooShort) return `must be at least ${input.minLength} characters`;
  if (v.tooLong) return `must be at most ${input.maxLength} characters`;
  if (v.rangeUnderflow) return `must be ${input.min} or more`;
  if (v.rangeOverflow) return `must be ${input.max} or less`;
  if (v.patternMismatch) return input.title || 'has the wrong form';
  return input.validationMessage;
}

/**
 * Wires a form: checks it in the browser with the server's rules (the attributes), then runs
 * `action(values, form)` once at a time (a double click or a second Enter while it runs does
 * nothing), and shows a refusal next to the field it names, or above the buttons.
 * `aliases` maps a server field path to a form control name.
 */
export function onSubmit(form, action, { aliases = {} } = {}) {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.busy === 'true') return;
    clearErrors(form);
    const invalid = [...form.elements].filter((el) => el.willValidate && !el.checkValidity());
    if (invalid.length > 0) {
      for (const el of invalid) setFieldError(form, el.name, browserMessage(el));
      invalid[0].focus();
      return;
    }
    const values = Object.fromEntries(new FormData(form).entries());
    const buttons = [...form.querySelectorAll('button[type=submit]')];
    form.dataset.busy = 'true';
    form.setAttribute('aria-busy', 'true');
    for (const b of buttons) b.disabled = true;
    try {
      await action(values, form);
    } catch (err) {
      reportError(form, err, aliases);
    } finally {
      form.dataset.busy = 'false';
      form.removeAttribute('aria-busy');
      for (const b of buttons) b.disabled = false;
    }
  });
}

export function reportError(form, err, aliases = {}) {
  if (err instanceof ApiError && err.status === 401 && err.reason !== 'invalid_credentials') {
    window.dispatchEvent(new CustomEvent('roster:signed-out'));
  }
  const name = err && err.field ? aliases[err.field] || err.field : undefined;
  if (name && setFieldError(form, name, err.fieldMessage)) {
    form.elements.namedItem(name).focus();
    return;
  }
  showFormError(form, describeError(err));
}

/** A button that runs `action` once at a time and shows what went wrong in `errorTarget`. */
export function actionButton(label, action, attrs = {}) {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) window.dispatchEvent(new CustomEvent('roster:signed-out'));
      announce(describeError(err));
      const target = document.getElementById('page-error');
      if (target) {
        target.textContent = describeError(err);
        target.hidden = false;
      }
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}

/** The page's heading, focused when the page opens so screen readers start there. */
export function pageHeading(text) {
  document.title = `${text} · Roster console`;
  return h('h1', { tabindex: '-1', id: 'page-title' }, text);
}

/** The page-level error line actions use. */
export function pageError() {
  return h('p', { id: 'page-error', class: 'form-error', role: 'alert', hidden: true });
}
