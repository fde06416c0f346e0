// The otpauth:// URI of a new authenticator key as a QR code, drawn as inline SVG on the enrolment
// page. The encoding is qrcode-generator's; the drawing is ours so the markup has no style attribute
// or script (the CSP forbids both) and nothing leaves the server: no third-party QR service ever sees
// the key. Error correction M: phones read it at small sizes without the larger L-level symbol.
import qrcode from 'qrcode-generator';

const QUIET_ZONE = 4; // modules of white border the QR specification asks for

/** An `<svg>` whose dark modules are one path; `label` is its accessible name. */
export function qrSvg(text: string, label: string): string {
  const code = qrcode(0, 'M');
  code.addData(text, 'Byte');
  code.make();
  const count = code.getModuleCount();
  const size = count + 2 * QUIET_ZONE;
  const cells: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) cells.push(`M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size * 5}" height="${size * 5}" ` +
    `role="img" aria-label="${escapeAttribute(label)}" shape-rendering="crispEdges" class="qr">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${cells.join('')}"/></svg>`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The enrolment page's QR code of an otpauth:// URI. */
export const totpQr = (uri: string): string => qrSvg(uri, 'QR code of your new authenticator key: scan it with your authenticator app');
