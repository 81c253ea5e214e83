// A task's description: its collaborative document (`description_doc`), in the documents'
// own editor, live for everyone who has the task open. A lazy chunk, like the document screen.
import { EditorPane } from '../DocPage'

export default function Description ({ docId, project, writable }: { docId: string, project: string, writable: boolean }) {
  return <div class='task-description'><EditorPane docId={docId} project={project} writable={writable} /></div>
}
