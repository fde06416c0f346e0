// Strongroom hosted card fields, merchant side. Load it from the vault with
//   <script src="https://<vault host>/hosted/v1/strongroom.js"></script>
// It puts an iframe served by the vault into the merchant page; the card data is typed into that
// frame and sent from it straight to the vault, so this page (and this script) never holds it.
// Protocol (window.postMessage, origins checked on both sides), see services/vault/hosted-fields/README.md:
//   frame → page  {type:'strongroom:ready'}                                   (no data; sent to '*')
//   page → frame  {type:'strongroom:init', version:1, publicKey, nameField}   (to the vault origin only)
//   page → frame  {type:'strongroom:tokenize', requestId, name?}              (to the vault origin only)
//   frame → page  {type:'strongroom:result', requestId, ok:true, token:{id, card}}
//                 {type:'strongroom:result', requestId, ok:false, error:{code, message}}
(function () {
  'use strict';

  const PROTOCOL_VERSION = 1;
  const FRAME_PATH = '/hosted/v1/card-frame.html';
  const PUBLIC_KEY = /^pkey_(test_)?[0-9a-z]{19,40}$/;
  const TOKEN_TIMEOUT_MS = 30000;

  // Only while this script is first evaluated does document.currentScript name it; the vault origin is
  // taken from where the script came from, so nothing on the page can point the fields elsewhere.
  const script = document.currentScript;
  const vaultOrigin = script && script.src ? new URL(script.src).origin : null;

  function failure(code, message) {
    return Object.freeze({ code: code, message: message });
  }

  function mountCardFields(container, options) {
    if (vaultOrigin === null) {
      throw new Error('Strongroom: load strongroom.js with a classic <script src> tag from the vault host');
    }
    if (!vaultOrigin.startsWith('https://')) throw new Error('Strongroom: strongroom.js must be loaded over HTTPS');
    if (!container || typeof container.appendChild !== 'function') {
      throw new TypeError('Strongroom.mountCardFields: container must be a DOM element');
    }
    const publicKey = options && options.publicKey;
    if (typeof publicKey !== 'string' || !PUBLIC_KEY.test(publicKey)) {
      // A secret key in a web page is a leaked key: refuse it outright.
      throw new TypeError('Strongroom.mountCardFields: options.publicKey must be a public key (pkey_…)');
    }
    const nameField = !(options && options.nameField === false);

    const iframe = document.createElement('iframe');
    iframe.src = vaultOrigin + FRAME_PATH;
    iframe.title = (options && typeof options.title === 'string' && options.title) || 'Secure card payment fields';
    iframe.setAttribute('scrolling', 'no');
    // CSSOM properties, not a style attribute: works under a merchant CSP without 'unsafe-inline'.
    iframe.style.border = '0';
    iframe.style.width = '100%';
    iframe.style.height = (options && typeof options.height === 'string' && options.height) || (nameField ? '196px' : '136px');
    iframe.style.display = 'block';

    let ready = false;
    let destroyed = false;
    let nextRequestId = 1;
    const waitingForReady = [];
    const pending = new Map();

    function onMessage(event) {
      // Only the vault origin, and only our own frame (another vault frame on the page is not ours).
      if (event.origin !== vaultOrigin || event.source !== iframe.contentWindow) return;
      const data = event.data;
      if (data === null || typeof data !== 'object') return;
      if (data.type === 'strongroom:ready') {
        // Sent again if the frame reloads: each new document gets the key again.
        iframe.contentWindow.postMessage(
          { type: 'strongroom:init', version: PROTOCOL_VERSION, publicKey: publicKey, nameField: nameField },
          vaultOrigin,
        );
        ready = true;
        waitingForReady.splice(0).forEach(function (send) { send(); });
        return;
      }
      if (data.type === 'strongroom:result') {
        const request = pending.get(data.requestId);
        if (request === undefined) return;
        pending.delete(data.requestId);
        request.settle(data);
      }
    }
    window.addEventListener('message', onMessage);
    container.appendChild(iframe);

    function createToken(tokenOptions) {
      return new Promise(function (resolve, reject) {
        if (destroyed) return reject(failure('destroyed', 'these card fields were removed'));
        if (pending.size > 0) return reject(failure('busy', 'a token is already being created'));
        const requestId = nextRequestId++;
        const name = tokenOptions && typeof tokenOptions.name === 'string' ? tokenOptions.name : undefined;
        const timer = setTimeout(function () {
          pending.delete(requestId);
          const index = waitingForReady.indexOf(send);
          if (index >= 0) waitingForReady.splice(index, 1);
          reject(failure('timeout', 'the secure card form did not answer in time'));
        }, TOKEN_TIMEOUT_MS);
        pending.set(requestId, {
          settle: function (data) {
            clearTimeout(timer);
            if (data.ok === true && data.token && typeof data.token.id === 'string') {
              const card = data.token.card || {};
              resolve(Object.freeze({
                id: data.token.id,
                card: Object.freeze({
                  brand: card.brand,
                  last_digits: card.last_digits,
                  expiration_month: card.expiration_month,
                  expiration_year: card.expiration_year,
                  name: card.name,
                }),
              }));
            } else {
              const error = (data && data.error) || {};
              reject(failure(
                typeof error.code === 'string' ? error.code : 'internal_error',
                typeof error.message === 'string' ? error.message : 'the card could not be tokenized',
              ));
            }
          },
        });
        function send() {
          const message = { type: 'strongroom:tokenize', requestId: requestId };
          if (name !== undefined) message.name = name;
          iframe.contentWindow.postMessage(message, vaultOrigin);
        }
        if (ready) send();
        else waitingForReady.push(send);
      });
    }

    function destroy() {
      if (destroyed) return;
      destroyed = true;
      window.removeEventListener('message', onMessage);
      waitingForReady.length = 0;
      pending.forEach(function (request) {
        request.settle({ ok: false, error: failure('destroyed', 'these card fields were removed') });
      });
      pending.clear();
      iframe.remove();
    }

    return Object.freeze({ createToken: createToken, destroy: destroy, iframe: iframe });
  }

  if (!window.Strongroom) {
    Object.defineProperty(window, 'Strongroom', {
      value: Object.freeze({ version: PROTOCOL_VERSION, vaultOrigin: vaultOrigin, mountCardFields: mountCardFields }),
      enumerable: true,
    });
  }
})();
