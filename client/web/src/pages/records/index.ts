// Business records (a lazy chunk): the types' start page, a list per type, the generated record
// form with its workflow and history, and the type designer. Everything is driven by the type's
// schema; no screen is specific to one type. One concern per file here.
import './records.css'
export { RecordsHome } from './RecordsHome'
export { RecordList } from './RecordList'
export { RecordView, NewRecord } from './RecordView'
export { TypeDesigner } from './TypeDesigner'
export { RecordsNav } from './RecordsNav'
