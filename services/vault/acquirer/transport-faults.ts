// Planned transport failures for the test acquirer, so tests can check what the vault does when the
// acquirer never answers (the CVV must stay, the retry must be safe). Injected, never keyed to a card number.
import type { AcquirerOperation } from './acquirer.ts';

/**
 * `request_lost`: the call fails before the acquirer acts (nothing happened).
 * `response_lost`: the acquirer acts, then the answer is lost (it happened, the caller cannot tell).
 */
export type FaultTiming = 'request_lost' | 'response_lost';

export type FaultOptions = {
  /** Only calls of these operations fail (and use up the fault); default: any operation. */
  operations?: readonly AcquirerOperation[];
  /** Default `request_lost`. */
  timing?: FaultTiming;
};

type PlannedFault = { operations: readonly AcquirerOperation[] | null; timing: FaultTiming };

export function createTransportFaults() {
  const planned: PlannedFault[] = [];

  return {
    /** The next `count` matching calls throw AcquirerTransportError. */
    failNext(count: number, options: FaultOptions = {}): void {
      if (!Number.isSafeInteger(count) || count < 0) throw new TypeError('failNext: count must be a non-negative integer');
      const fault: PlannedFault = { operations: options.operations ?? null, timing: options.timing ?? 'request_lost' };
      for (let i = 0; i < count; i++) planned.push(fault);
    },
    /** Faults planned and not yet used. */
    pending(): number {
      return planned.length;
    },
    clear(): void {
      planned.length = 0;
    },
    /** Uses up the first fault planned for `operation` and says when it strikes, or null for none. */
    take(operation: AcquirerOperation): FaultTiming | null {
      const index = planned.findIndex((fault) => fault.operations === null || fault.operations.includes(operation));
      if (index === -1) return null;
      const [fault] = planned.splice(index, 1);
      return fault?.timing ?? null;
    },
  };
}

export type TransportFaults = ReturnType<typeof createTransportFaults>;
