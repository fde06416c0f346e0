// Asks the supervisor (the parent process) to sign this service's freshly generated public key.
// The private key never leaves the service process; the identity is chosen by the supervisor.
type Issued = { certPem: string; caPem: string };
type Reply = { type: 'certificate'; id: number; certPem: string; caPem: string } | { type: 'certificate-error'; id: number; message: string };

let nextId = 1;
const pending = new Map<number, { resolve: (issued: Issued) => void; reject: (error: Error) => void }>();
let listening = false;

function listen() {
  if (listening) return;
  listening = true;
  process.on('message', (message: Reply) => {
    const waiter = pending.get(message?.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.type === 'certificate') waiter.resolve({ certPem: message.certPem, caPem: message.caPem });
    else waiter.reject(new Error(`certificate issuance refused: ${message.message}`));
  });
}

export function ipcIssuer(kind: 'internal' | 'public') {
  return (publicKeyPem: string): Promise<Issued> => {
    if (!process.send) return Promise.reject(new Error('no supervisor IPC channel: start services through `npm start`'));
    listen();
    const id = nextId++;
    return new Promise<Issued>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      process.send!({ type: 'certificate-request', id, kind, publicKeyPem });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error('certificate issuance timed out'));
      }, 15_000).unref();
    });
  };
}
