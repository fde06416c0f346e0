// Loading a PKCS#11 module and finding its token, for the pkcs11 key backend.
//
// C_Initialize and C_Finalize act on the whole process, not on one caller: a second backend on the same
// module (a rotation tool, a test opening two) would lose its sessions when the first one's close()
// finalised the module. So loaded modules are counted here and finalised when the last user releases them.
import { Module, type Slot } from 'graphene-pk11';
import { BackendError } from './key-backend.ts';

type Loaded = { readonly module: Module; refs: number };
const loaded = new Map<string, Loaded>();

/** Loads and initialises the module (once per path per process); pair every call with releaseModule. */
export function acquireModule(modulePath: string): Module {
  const existing = loaded.get(modulePath);
  if (existing !== undefined) {
    existing.refs += 1;
    return existing.module;
  }
  let module: Module;
  try {
    module = Module.load(modulePath, 'strongroom-kms');
  } catch (error) {
    throw new BackendError('backend_failure', `cannot load the PKCS#11 module ${modulePath}: ${pkcs11ErrorName(error)}`);
  }
  try {
    module.initialize();
  } catch (error) {
    safely(() => module.close());
    throw new BackendError('backend_failure', `C_Initialize failed: ${pkcs11ErrorName(error)}`);
  }
  loaded.set(modulePath, { module, refs: 1 });
  return module;
}

export function releaseModule(modulePath: string): void {
  const entry = loaded.get(modulePath);
  if (entry === undefined) return;
  entry.refs -= 1;
  if (entry.refs > 0) return;
  loaded.delete(modulePath);
  safely(() => entry.module.finalize());
  safely(() => entry.module.close());
}

/** The slot holding the token: by label when given (then `slot`, if also given, must agree), else by index. */
export function findSlot(module: Module, choice: { slot?: number; tokenLabel?: string }): Slot {
  const slots = module.getSlots(true);
  if (choice.tokenLabel !== undefined) {
    const matches: { slot: Slot; index: number }[] = [];
    for (let index = 0; index < slots.length; index += 1) {
      const slot = slots.items(index);
      if (slot.getToken().label === choice.tokenLabel) matches.push({ slot, index });
    }
    const [match] = matches;
    if (match === undefined) throw new BackendError('backend_failure', `no PKCS#11 token labelled "${choice.tokenLabel}"`);
    if (matches.length > 1) throw new BackendError('backend_failure', `several PKCS#11 tokens are labelled "${choice.tokenLabel}"`);
    if (choice.slot !== undefined && choice.slot !== match.index) {
      throw new BackendError('backend_failure', `token "${choice.tokenLabel}" is not in slot ${choice.slot}`);
    }
    return match.slot;
  }
  if (choice.slot === undefined) throw new BackendError('backend_failure', 'name the PKCS#11 token by tokenLabel or slot');
  if (!Number.isSafeInteger(choice.slot) || choice.slot < 0 || choice.slot >= slots.length) {
    throw new BackendError('backend_failure', `no PKCS#11 token in slot ${choice.slot} (${slots.length} present)`);
  }
  return slots.items(choice.slot);
}

/** Standard PKCS#11 return values this backend tells apart (pkcs11js sets them as `code`). */
export const CKR = {
  OBJECT_HANDLE_INVALID: 0x82,
  KEY_HANDLE_INVALID: 0x60,
  DEVICE_ERROR: 0x30,
  DEVICE_REMOVED: 0x32,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  USER_NOT_LOGGED_IN: 0x101,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
} as const;

/** Codes after which the session (or login) is gone: the backend counts itself sealed. */
const SESSION_LOST: ReadonlySet<number> = new Set([
  CKR.DEVICE_ERROR, CKR.DEVICE_REMOVED, CKR.SESSION_CLOSED, CKR.SESSION_HANDLE_INVALID,
  CKR.TOKEN_NOT_PRESENT, CKR.USER_NOT_LOGGED_IN, CKR.CRYPTOKI_NOT_INITIALIZED,
]);

export function pkcs11Code(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isSessionLost(error: unknown): boolean {
  const code = pkcs11Code(error);
  return code !== undefined && SESSION_LOST.has(code);
}

export function isStaleHandle(error: unknown): boolean {
  const code = pkcs11Code(error);
  return code === CKR.OBJECT_HANDLE_INVALID || code === CKR.KEY_HANDLE_INVALID;
}

/**
 * The CKR_* name of a pkcs11js error, for messages. pkcs11js puts its whole stack in `message`, so only
 * the leading name is kept (it never holds key material, but a stack is not for the wire).
 */
export function pkcs11ErrorName(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^CKR_[A-Z0-9_]+/.exec(message)?.[0] ?? (message.split('\n', 1)[0] ?? 'unknown error').slice(0, 200);
}

export function safely(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup on a path that is already failing or closing: nothing useful to do with a second error.
  }
}
