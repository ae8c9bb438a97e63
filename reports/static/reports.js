// Sortable tables: tap a header to sort its column (numbers by their raw value); totals stay below.
document.querySelectorAll("table.sortable").forEach((table) => {
  const body = table.tBodies[0];
  table.querySelectorAll("thead th").forEach((th, index) => {
    const button = th.querySelector("button.sort");
    if (!button) return;
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const key = (row) => {
        const cell = row.cells[index];
        if (!cell) return "";
        if (cell.dataset.v !== undefined) return cell.dataset.v === "" ? -Infinity : parseFloat(cell.dataset.v);
        return cell.textContent.trim().toLowerCase();
      };
      const rows = Array.from(body.rows).filter((r) => r.cells.length > 1);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), document.documentElement.lang || "fr");
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
