// Timesheets (a lazy chunk): one's week — started from the time log, edited while a draft or
// rejected, submitted — and the approvals inbox of the managers who approve or reject them.
// Timesheets are records of the built-in type `timesheet`; these are the special screens a
// generic form would serve badly (DESIGN.md, "Records").
import './timesheets.css'
export { TimesheetWeek } from './TimesheetWeek'
export { Approvals } from './Approvals'
