// Chat's screens and the pieces the shell shows: one concern per file in this folder.
export { ChatHome } from './ChatHome'
export { ChannelView } from './ChannelView'
export { ChannelList } from './ChannelList'
export { ThreadsPage } from './ThreadsPage'
export { NotificationCentre } from './NotificationCentre'
export { NewChannelDialog } from './NewChannelDialog'
export { NewDmDialog } from './NewDmDialog'
