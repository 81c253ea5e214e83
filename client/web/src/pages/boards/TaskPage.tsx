// A task on a page of its own (`/o/:org/tasks/:task`): a link to share, the same panel.
import { TaskPanel } from './TaskPanel'

export function TaskPage ({ org, task }: { org: string, task: string }) {
  return <TaskPanel org={org} taskId={task} page />
}
