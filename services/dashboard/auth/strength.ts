// Password strength estimation (zxcvbn-ts): common and breached-password lists, English words and
// names, keyboard patterns, dates, repeats, l33t, and the context words we pass in. Built once
// (about half a second); server.ts warms it at start so the first sign-up does not pay for it.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

let estimator: ZxcvbnFactory | undefined;

function instance(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

export type Strength = { score: number; warning: string | null };

export function estimateStrength(password: string, contextWords: readonly string[]): Strength {
  const result = instance().check(password, [...contextWords]);
  return { score: result.score, warning: result.feedback.warning };
}

export function warmUpStrength(): void {
  estimateStrength('warm-up phrase for the estimator', []);
}
