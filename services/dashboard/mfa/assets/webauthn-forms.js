// Runs the WebAuthn ceremony of every `form[data-webauthn]` on the page (a same-origin module: the
// CSP allows no inline script). On submit: fetch the options from `data-options` (the form's CSRF
// token in the body), let the browser create or use a credential, put its JSON answer in the
// form's `response` field and submit the form normally. The server decides everything; this only
// carries the browser's answer.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '../vendor/simplewebauthn/index.js'; // served as /assets/vendor/… beside /assets/mfa/

const MESSAGES = {
  ERROR_CEREMONY_ABORTED: 'That was cancelled. Try again when you are ready.',
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: 'This security key or passkey is already registered to your account.',
  ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT: 'This security key cannot check a PIN or fingerprint. Use a passkey or a key with a PIN.',
  ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT: 'This security key cannot hold a passkey.',
};

function show(form, message) {
  const box = form.querySelector('[data-webauthn-error]');
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
}

async function fetchOptions(form) {
  const body = new URLSearchParams({ _csrf: form.elements.namedItem('_csrf').value });
  const answer = await fetch(form.dataset.options, { method: 'POST', body, credentials: 'same-origin', headers: { accept: 'application/json' } });
  // A step-up or a new sign-in is needed first: the server sent this request there.
  if (answer.redirected) {
    window.location.assign(answer.url);
    return null;
  }
  const json = await answer.json().catch(() => null);
  if (!answer.ok || json === null) {
    show(form, json?.message ?? 'Something went wrong. Reload the page and try again.');
    return null;
  }
  return json;
}

async function ceremony(form, button) {
  if (!browserSupportsWebAuthn()) {
    show(form, 'This browser cannot use security keys or passkeys.');
    return;
  }
  button.disabled = true;
  try {
    const options = await fetchOptions(form);
    if (options === null) return;
    const result = form.dataset.webauthn === 'register'
      ? await startRegistration({ optionsJSON: options })
      : await startAuthentication({ optionsJSON: options });
    form.elements.namedItem('response').value = JSON.stringify(result);
    form.submit();
  } catch (error) {
    show(form, MESSAGES[error?.code] ?? (error?.name === 'NotAllowedError'
      ? 'No security key or passkey answered (or it was cancelled). Try again.'
      : 'Your security key or passkey could not be used. Try again.'));
  } finally {
    button.disabled = false;
  }
}

for (const form of document.querySelectorAll('form[data-webauthn]')) {
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void ceremony(form, button);
  });
}
