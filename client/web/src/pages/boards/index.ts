// Boards and tasks: the screens the shell routes to (a lazy chunk: drag and drop and the board
// code load when a board, the task list or the timesheet is opened). One concern per file here.
import './boards.css'
export { BoardsList } from './BoardsList'
export { BoardView } from './BoardView'
export { TaskList } from './TaskList'
export { TaskPage } from './TaskPage'
export { Timesheet } from './Timesheet'
