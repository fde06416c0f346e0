// How times read on pages and in emails: UTC, to the minute, unambiguous ("2026-05-01 14:03 UTC").
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
