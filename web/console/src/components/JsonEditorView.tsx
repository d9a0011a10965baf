// The JSON editor itself (CodeMirror 6 with its JSON language and linter): syntax errors are marked where they
// are. Loaded on demand through `JsonEditor`, as CodeMirror is most of a page's script.
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { Input, useComputedColorScheme } from "@mantine/core";
import { basicSetup } from "codemirror";
import { useEffect, useId, useRef } from "react";

export interface JsonEditorProps {
  label: string;
  value: string;
  onChange: (text: string) => void;
  error?: string | null;
  minHeight?: number;
  readOnly?: boolean;
}

export default function JsonEditorView({ label, value, onChange, error, minHeight = 240, readOnly = false }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const theme = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;
  const scheme = useComputedColorScheme("light");
  const labelId = useId();

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          json(),
          syntaxHighlighting(JSON_COLOURS),
          linter(jsonParseLinter()),
          lintGutter(),
          EditorState.readOnly.of(readOnly),
          // tabindex: a read-only editor's text can still be reached and scrolled by keyboard
          EditorView.contentAttributes.of({ "aria-labelledby": labelId, "aria-multiline": "true", tabindex: "0" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
          theme.current.of(editorTheme(scheme, minHeight)),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
    // The editor is created once; value, scheme and height changes are applied below.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: theme.current.reconfigure(editorTheme(scheme, minHeight)) });
  }, [scheme, minHeight]);

  return (
    <Input.Wrapper label={label} labelProps={{ id: labelId }} error={error}>
      <div ref={host} className="json-editor" data-testid="json-editor" />
    </Input.Wrapper>
  );
}

// CodeMirror's default colours are made for a light background (its dark red strings are ~2:1 on Mantine's dark
// one); Mantine's per-scheme text colours keep JSON readable in both.
const JSON_COLOURS = HighlightStyle.define([
  { tag: tags.string, color: "var(--mantine-color-red-text)" },
  { tag: tags.number, color: "var(--mantine-color-blue-text)" },
  { tag: [tags.bool, tags.null], color: "var(--mantine-color-violet-text)" },
  { tag: tags.propertyName, color: "var(--mantine-color-teal-text)" },
]);

function editorTheme(scheme: "light" | "dark", minHeight: number) {
  return EditorView.theme(
    {
      "&": { border: "1px solid var(--mantine-color-default-border)", borderRadius: "4px", fontSize: "13px" },
      ".cm-content, .cm-gutter": { minHeight: `${minHeight}px` },
      ".cm-scroller": { maxHeight: "60vh", overflow: "auto" },
      "&.cm-focused": { outline: "2px solid var(--mantine-primary-color-filled)" },
    },
    { dark: scheme === "dark" },
  );
}
