// Which acquirer serves which mode. Test mode: the built-in test acquirer (Omise test cards). Live
// mode: no connector ships with Strongroom, so live authorizations are refused (503) until an operator
// wires one; a test card can never reach a live acquirer, nor a live card the test one.
import type { Acquirer } from '../acquirer/acquirer.ts';
import { createTestAcquirer } from '../acquirer/test-acquirer.ts';
import { createTransportFaults, type TransportFaults } from '../acquirer/transport-faults.ts';

export type Acquirers = { test: Acquirer; live: Acquirer | null; faults: TransportFaults };

export function createAcquirers(options: { live?: Acquirer | null } = {}): Acquirers {
  const faults = createTransportFaults();
  return { test: createTestAcquirer({ faults }), live: options.live ?? null, faults };
}
