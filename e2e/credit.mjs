// Shared by the credit browser tests (credit*.test.mjs): the businesses of
// a run, dates in China time, and small page helpers.
import { base } from './phone.mjs';

export const laptop = { width: 1280, height: 900 };
export const demoUSCC = '91990102MA01YL8A1G'; // 云澜味道餐饮有限公司, the demo enterprise

// uscc completes a 17-character base with its GB 32100 check character.
export function uscc(b) {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let s = 0;
  for (let i = 0; i < 17; i++) s += chars.indexOf(b[i]) * w[i];
  const c = 31 - (s % 31);
  return b + chars[c === 31 ? 0 : c];
}

// Two businesses of this run (codes differ between runs against one demo).
export const tag = (Date.now() % 1e5).toString().padStart(5, '0').replace(/[^0-9]/g, '0');
export const shop = uscc('91990102MA3' + tag + 'A');
export const builder = uscc('91990102MA3' + tag + 'B');

// day returns the China-time date n days from today as YYYY-MM-DD.
export function day(n = 0) {
  const t = new Date(Date.now() + 8 * 3600e3 + n * 86400e3);
  return t.toISOString().slice(0, 10);
}

export async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), page.locator(locator).click()]);
}

// row returns the text of the staff file's record row naming decisionNo.
export async function row(page, decisionNo) {
  return page.locator('tr', { hasText: decisionNo }).first().innerText();
}

