// A folder upload sends each file's name only: keep each one's path within the folder (the
// browser's webkitRelativePath, in the same order as the files) in the hidden field the input
// names, so the server can tell the channels' day files apart.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches("input[data-folder-paths]")) return;
    const target = document.getElementById(input.dataset.folderPaths);
    if (target) {
      target.value = JSON.stringify(Array.from(input.files, (file) => file.webkitRelativePath || file.name));
    }
  });
})();
