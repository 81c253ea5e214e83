// A browser's User-Agent string in words: "Chrome 131 on Windows", for the list of sessions.
// A small parser of the tokens browsers still send (the rest of the string is history and
// compatibility padding); anything it does not recognise is shown as it came.

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bChromium\/(\d+)/, 'Chromium'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\bChrome\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)(?:\.\d+)*.*\bSafari\//, 'Safari'],
  [/^curl\/(\d+)/, 'curl']
]

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux']
]

/** "Browser version on system" from a User-Agent string; the string itself when unknown. */
export function describeUserAgent (ua: string): string {
  const browser = BROWSERS.map(([re, name]) => { const m = re.exec(ua); return m ? `${name} ${m[1]}` : null }).find(Boolean)
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1]
  if (!browser && !system) return ua
  if (!browser) return `A browser on ${system}`
  return system ? `${browser} on ${system}` : browser
}
