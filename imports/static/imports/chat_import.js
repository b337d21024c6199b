// Choosing an unzipped Slack export folder. The browser sends each file's name only, so each
// one's path within the folder (webkitRelativePath, in the same order as the files) goes to the
// hidden field the input names. Only the files an import reads are sent (an export holds many
// others), and a folder with more of them than one upload may carry is refused here, with the
// input's own message, rather than by the server.
(function () {
  "use strict";
  const WANTED = /(^|\/)((users|channels|groups)\.json|\d{4}-\d{2}-\d{2}\.json)$/;

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches("input[data-folder-paths]")) return;
    const target = document.getElementById(input.dataset.folderPaths);
    const pathOf = (file) => file.webkitRelativePath || file.name;
    const files = Array.from(input.files).filter((file) => WANTED.test(pathOf(file)));
    input.setCustomValidity("");
    if (files.length > Number(input.dataset.folderLimit)) {
      input.value = "";
      target.value = "";
      input.setCustomValidity(input.dataset.folderTooMany);
      input.reportValidity();
      return;
    }
    if (files.length !== input.files.length) {
      const kept = new DataTransfer();
      files.forEach((file) => kept.items.add(file));
      input.files = kept.files;
    }
    target.value = JSON.stringify(files.map(pathOf));
  });
})();
