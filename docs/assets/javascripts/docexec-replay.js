/* Replays of recorded terminal sessions (exec="session" blocks; HTML made by src/docexec/render.py).

   Each session block has a hidden <button class="docexec-replay" data-cast="…/id.cast">. This script shows the
   buttons; the first press loads the vendored asciinema-player (assets/asciinema-player/, URLs given by this
   script tag's data-player-js and data-player-css) and plays the recording under the button, below the static
   transcript, which stays as it is: the searchable, copyable text. Pressing again closes the player. */
(function () {
  var me = document.currentScript
  var loading = null

  function load() {
    return loading || (loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link")
      css.rel = "stylesheet"
      css.href = me.dataset.playerCss
      document.head.appendChild(css)
      var js = document.createElement("script")
      js.src = me.dataset.playerJs
      js.onload = function () { resolve(window.AsciinemaPlayer) }
      js.onerror = function () {
        loading = null
        reject(new Error("asciinema-player could not be loaded from " + js.src))
      }
      document.head.appendChild(js)
    }))
  }

  function close(button, holder) {
    if (holder.player) holder.player.dispose()
    holder.remove()
    button.textContent = "回放"
    button.setAttribute("aria-expanded", "false")
  }

  function toggle(button) {
    var block = button.closest(".docexec")
    var open = block.querySelector(".docexec-player")
    if (open) return close(button, open)
    var holder = document.createElement("div")
    holder.className = "docexec-player"
    button.closest(".docexec-source").after(holder)
    button.textContent = "收起回放"
    button.setAttribute("aria-expanded", "true")
    load().then(function (player) {
      if (!holder.isConnected) return
      holder.player = player.create(button.dataset.cast, holder, {
        cols: 100, rows: 30, autoPlay: true, fit: "width", idleTimeLimit: 2, theme: "asciinema"
      })
    }, function (error) {
      holder.textContent = "回放加载失败：" + error.message
    })
  }

  function wake() {
    document.querySelectorAll("button.docexec-replay").forEach(function (button) {
      button.hidden = false
      button.setAttribute("aria-expanded", "false")
    })
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.docexec-replay")
    if (button) toggle(button)
  })
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wake)
  else wake()
})()
