import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import qrcode from 'qrcode-generator';
import { qrSvg } from './totp-qr.ts';

const URI = 'otpauth://totp/Strongroom:a%40shop.example?secret=JBSWY3DPEHPK3PXP&issuer=Strongroom&algorithm=SHA1&digits=6&period=30';

/** Reads the drawn path back into a module grid. */
function modulesOf(svg: string): Set<string> {
  const d = /<path fill="#000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  return new Set([...d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((m) => `${Number(m[1]) - 4},${Number(m[2]) - 4}`));
}

test('the SVG draws exactly the dark modules of the QR code of the text, inside a quiet zone', () => {
  const svg = qrSvg(URI, 'QR code of your new key');
  const code = qrcode(0, 'M');
  code.addData(URI, 'Byte');
  code.make();
  const expected = new Set<string>();
  for (let r = 0; r < code.getModuleCount(); r++) for (let c = 0; c < code.getModuleCount(); c++) if (code.isDark(r, c)) expected.add(`${c},${r}`);
  assert.ok(expected.size > 100);
  assert.deepEqual(modulesOf(svg), expected);
  assert.ok(svg.includes(`viewBox="0 0 ${code.getModuleCount() + 8} ${code.getModuleCount() + 8}"`));
});

test('the markup has no script, style or event handler the CSP would refuse, and the label is escaped', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 80 }), (text, label) => {
    const svg = qrSvg(text, label);
    assert.doesNotMatch(svg, /<script|style=|\son[a-z]+=/i);
    const aria = /aria-label="([^"]*)"/.exec(svg)?.[1];
    assert.equal(aria?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'), label);
  }), { numRuns: 200 });
});
