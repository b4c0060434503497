/**
 * Small accessible building blocks: a confirmation dialog (native <dialog>, so focus and Esc
 * work), buttons that run an API action and show its error in plain words, a copy button.
 */
import { createContext } from 'preact'
import type { ComponentChildren, JSX } from 'preact'
import { useContext, useEffect, useRef, useState } from 'preact/hooks'

interface Question { title: string, detail: string, action: string, danger: boolean, answer: (yes: boolean) => void }

/** Asks the person to confirm; resolves true when they do. */
export type Confirm = (q: { title: string, detail: string, action: string, danger?: boolean }) => Promise<boolean>

const ConfirmContext = createContext<Confirm>(async () => await Promise.resolve(false))

/** The confirmation function of the page. */
export function useConfirm (): Confirm {
  return useContext(ConfirmContext)
}

/** Provides {@link useConfirm} and renders its dialog. */
export function ConfirmProvider ({ children }: { children: ComponentChildren }): JSX.Element {
  const [question, setQuestion] = useState<Question | null>(null)
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = dialog.current
    if (d === null) return
    if (question !== null && !d.open) d.showModal()
    if (question === null && d.open) d.close()
  }, [question])
  const confirm: Confirm = async (q) => await new Promise<boolean>((resolve) => {
    setQuestion({ ...q, danger: q.danger ?? false, answer: resolve })
  })
  const answer = (yes: boolean): void => {
    question?.answer(yes)
    setQuestion(null)
  }
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <dialog ref={dialog} aria-labelledby="confirm-title" aria-describedby="confirm-detail" onCancel={(e) => { e.preventDefault(); answer(false) }}>
        <h2 id="confirm-title">{question?.title}</h2>
        <p id="confirm-detail">{question?.detail}</p>
        <div class="actions">
          <button type="button" onClick={() => { answer(false) }}>Cancel</button>
          <button type="button" class={question?.danger === true ? 'danger' : 'primary'} onClick={() => { answer(true) }}>{question?.action}</button>
        </div>
      </dialog>
    </ConfirmContext.Provider>
  )
}

/** State of an action: running, and the error of its last run. */
export interface Action {
  busy: boolean
  error: string | null
  /** Runs `fn`, after `confirm` when given; false when cancelled or failed. */
  run: (fn: () => Promise<unknown>) => Promise<boolean>
}

/** One API action with its error message. */
export function useAction (): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true)
    setError(null)
    try {
      await fn()
      return true
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}

/** An action's error, announced to screen readers. */
export function ErrorNote ({ error }: { error: string | null }): JSX.Element | null {
  if (error === null) return null
  return <p class="error" role="alert">{error}</p>
}

/** A button that copies `text` and says so. */
export function CopyButton ({ text, label }: { text: string, label: string }): JSX.Element {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null)
  const copy = (): void => {
    navigator.clipboard.writeText(text).then(() => { setDone('copied') }, () => { setDone('failed') })
    window.setTimeout(() => { setDone(null) }, 2000)
  }
  return (
    <button type="button" class="small" onClick={copy} aria-label={label}>
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select and copy by hand' : 'Copy'}
    </button>
  )
}
