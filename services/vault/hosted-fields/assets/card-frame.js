// Strongroom hosted card fields, frame side: runs on the vault origin inside the merchant's iframe.
// The card data typed here goes only to POST /tokens on this origin; the embedding page gets back the
// token id and card metadata (brand, last digits, expiry, name), never the number or security code.
// The first valid init from the embedding window fixes the one origin this frame answers from then on.
(function () {
  'use strict';

  const PROTOCOL_VERSION = 1;
  const PUBLIC_KEY = /^pkey_(test_)?[0-9a-z]{19,40}$/;

  const form = document.getElementById('card-form');
  const fields = {
    name: document.getElementById('name'),
    number: document.getElementById('number'),
    expiry: document.getElementById('expiry'),
    cvc: document.getElementById('cvc'),
  };
  const message = document.getElementById('message');

  let parentOrigin = null;
  let publicKey = null;
  let busy = false;

  // ---- input formatting (hints only: the vault validates the card) ----

  function digitsOf(text) {
    return text.replace(/\D/g, '');
  }

  function groupNumber(digits) {
    // American Express: 4-6-5; everything else in fours.
    const groups = /^3[47]/.test(digits) ? [4, 6, 5] : [4, 4, 4, 4, 3];
    const parts = [];
    let at = 0;
    for (const size of groups) {
      if (at >= digits.length) break;
      parts.push(digits.slice(at, at + size));
      at += size;
    }
    return parts.join(' ');
  }

  function reformat(input, format) {
    const caretDigits = digitsOf(input.value.slice(0, input.selectionStart || 0)).length;
    const formatted = format(input.value);
    if (formatted === input.value) return;
    input.value = formatted;
    // Keep the caret after the same number of digits it followed before.
    let position = 0;
    for (let seen = 0; position < formatted.length && seen < caretDigits; position++) {
      if (/\d/.test(formatted[position])) seen++;
    }
    input.setSelectionRange(position, position);
  }

  function formatExpiry(text) {
    const full = /^\s*(\d{1,2})\s*\/\s*(\d{4})\s*$/.exec(text);
    let digits = full ? full[1].padStart(2, '0') + full[2].slice(2) : digitsOf(text).slice(0, 4);
    if (digits.length === 1 && digits > '1') digits = '0' + digits;
    return digits.length > 2 ? digits.slice(0, 2) + ' / ' + digits.slice(2) : digits;
  }

  fields.number.addEventListener('input', function () {
    reformat(fields.number, function (text) { return groupNumber(digitsOf(text).slice(0, 19)); });
  });
  fields.expiry.addEventListener('input', function () { reformat(fields.expiry, formatExpiry); });
  fields.cvc.addEventListener('input', function () { reformat(fields.cvc, function (text) { return digitsOf(text).slice(0, 4); }); });
  Object.keys(fields).forEach(function (key) {
    fields[key].addEventListener('input', function () { fields[key].removeAttribute('aria-invalid'); });
  });
  // Enter in a field must not submit anything: only the merchant page's tokenize message does.
  form.addEventListener('submit', function (event) { event.preventDefault(); });

  function luhnValid(digits) {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = digits.charCodeAt(digits.length - 1 - i) - 48;
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // ---- reading the card (messages are constants: no digit of the card reaches them) ----

  function invalid(field, text) {
    field.setAttribute('aria-invalid', 'true');
    return { error: { code: 'invalid_card', message: text } };
  }

  function readCard(nameOverride) {
    const number = digitsOf(fields.number.value);
    if (number.length < 12 || number.length > 19) return invalid(fields.number, 'card number is incomplete');
    if (!luhnValid(number)) return invalid(fields.number, 'card number is invalid');
    const expiry = /^(\d{2}) \/ (\d{2})$/.exec(fields.expiry.value);
    if (!expiry) return invalid(fields.expiry, 'expiry date is incomplete');
    const month = Number(expiry[1]);
    if (month < 1 || month > 12) return invalid(fields.expiry, 'expiry month must be from 01 to 12');
    const cvc = fields.cvc.value;
    if (!/^\d{3,4}$/.test(cvc)) return invalid(fields.cvc, 'security code is incomplete');
    const name = (nameOverride !== undefined ? nameOverride : fields.name.value).trim();
    const card = {
      number: number,
      expiration_month: month,
      expiration_year: 2000 + Number(expiry[2]),
      security_code: cvc,
    };
    if (name !== '') card.name = name;
    return { card: card };
  }

  // ---- talking to the vault and to the embedding page ----

  function reply(requestId, result) {
    const answer = { type: 'strongroom:result', requestId: requestId };
    if (result.token) {
      answer.ok = true;
      answer.token = result.token;
    } else {
      answer.ok = false;
      answer.error = result.error;
    }
    window.parent.postMessage(answer, parentOrigin);
  }

  function setBusy(value) {
    busy = value;
    Object.keys(fields).forEach(function (key) { fields[key].readOnly = value; });
  }

  // Only what the merchant may see: a whitelist, never the body as it came.
  function tokenFromBody(body) {
    if (!body || body.object !== 'token' || typeof body.id !== 'string' || !body.card) return null;
    const card = body.card;
    return {
      id: body.id,
      card: {
        brand: typeof card.brand === 'string' ? card.brand : null,
        last_digits: typeof card.last_digits === 'string' ? card.last_digits.slice(-4) : null,
        expiration_month: typeof card.expiration_month === 'number' ? card.expiration_month : null,
        expiration_year: typeof card.expiration_year === 'number' ? card.expiration_year : null,
        name: typeof card.name === 'string' ? card.name : null,
      },
    };
  }

  function errorFromBody(body) {
    if (body && body.object === 'error' && typeof body.code === 'string' && typeof body.message === 'string') {
      return { code: body.code, message: body.message };
    }
    return { code: 'service_unavailable', message: 'the card could not be tokenized; please try again' };
  }

  function tokenize(requestId, nameOverride) {
    if (busy) return reply(requestId, { error: { code: 'busy', message: 'a token is already being created' } });
    message.textContent = '';
    const read = readCard(nameOverride);
    if (read.error) {
      message.textContent = read.error.message;
      return reply(requestId, read);
    }
    setBusy(true);
    fetch('/tokens', {
      method: 'POST',
      mode: 'same-origin',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      headers: {
        authorization: 'Basic ' + btoa(publicKey + ':'),
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ card: read.card }),
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { status: response.status, body: body }; },
          function () { return { status: response.status, body: null }; },
        );
      })
      .then(function (answer) {
        const token = answer.status === 200 ? tokenFromBody(answer.body) : null;
        if (token) {
          form.reset();
          return reply(requestId, { token: token });
        }
        const error = errorFromBody(answer.body);
        message.textContent = error.message;
        if (error.code === 'invalid_card') fields.number.setAttribute('aria-invalid', 'true');
        return reply(requestId, { error: error });
      }, function () {
        reply(requestId, { error: { code: 'service_unavailable', message: 'the payment service could not be reached; please try again' } });
      })
      .finally(function () { setBusy(false); });
  }

  function acceptsInit(event) {
    const data = event.data;
    if (data.version !== PROTOCOL_VERSION) return false;
    if (typeof data.publicKey !== 'string' || !PUBLIC_KEY.test(data.publicKey)) return false;
    if (!/^https:\/\//.test(event.origin)) return false;
    // Where the browser tells us who embeds us (Chromium, WebKit), the init must come from that origin
    // ('null' when the embedder's referrer policy hides it).
    const ancestors = window.location.ancestorOrigins;
    const embedder = ancestors && ancestors.length > 0 ? ancestors[0] : 'null';
    if (embedder !== 'null' && embedder !== event.origin) return false;
    return true;
  }

  window.addEventListener('message', function (event) {
    // Only the window that embeds this frame; never a sibling frame, an opener or a popup.
    if (window.parent === window || event.source !== window.parent) return;
    const data = event.data;
    if (data === null || typeof data !== 'object') return;
    if (parentOrigin === null) {
      if (data.type !== 'strongroom:init' || !acceptsInit(event)) return;
      parentOrigin = event.origin;
      publicKey = data.publicKey;
      if (data.nameField === false) document.getElementById('name-row').classList.add('hidden');
      return;
    }
    if (event.origin !== parentOrigin) return;
    if (data.type !== 'strongroom:tokenize') return;
    const requestId = data.requestId;
    if (!Number.isSafeInteger(requestId) || requestId < 1) return;
    tokenize(requestId, typeof data.name === 'string' ? data.name : undefined);
  });

  // Nothing in this message: it only tells the embedding page that the frame is listening.
  if (window.parent !== window) window.parent.postMessage({ type: 'strongroom:ready' }, '*');
})();
