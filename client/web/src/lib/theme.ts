// Light and dark themes: the system preference until the user picks one (remembered).
import { signal } from '@preact/signals'

function initial (): 'light' | 'dark' {
  try {
    const saved = localStorage.getItem('atrium.theme')
    if (saved === 'light' || saved === 'dark') return saved
  } catch {}
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

export const theme = signal<'light' | 'dark'>(typeof window === 'undefined' ? 'light' : initial())

export function applyTheme (): void {
  document.documentElement.dataset.theme = theme.value
}

export function toggleTheme (): void {
  theme.value = theme.value === 'dark' ? 'light' : 'dark'
  try { localStorage.setItem('atrium.theme', theme.value) } catch {}
  applyTheme()
}
