import { render } from 'preact'
import './styles.css'
import { App } from './App'
import { startRouter } from './lib/router'
import { loadMe } from './lib/session'
import { applyTheme } from './lib/theme'

applyTheme()
startRouter()
loadMe().catch(() => {})
render(<App />, document.getElementById('app')!)
