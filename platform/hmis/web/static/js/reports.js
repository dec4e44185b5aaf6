// The report library: in the history list, keep the two "compare" choices on different runs.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "radio" || !input.closest(".report-history")) return;
  const other = input.name === "a" ? "b" : "a";
  const twin = document.getElementById(`${other}-${input.value}`);
  if (twin && twin.checked) twin.checked = false;
});
