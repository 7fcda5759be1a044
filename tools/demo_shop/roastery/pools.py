"""Phrase pools of questions, praise, purchase intent and off-topic noise; pseudonyms and
Mastodon instances."""
from __future__ import annotations

Q_OPEN = {
    "it": ["Domanda:", "Ciao!", "Domanda per gli esperti:", "Curiosità:", "Dubbio:",
           "Buongiorno,", "Scusate,", "Aiuto:", "Info:", "Ciao a tutti,", "Domanda seria:",
           "Una cosa veloce:"],
    "en": ["Quick question:", "Hi!", "Question for coffee people:", "Random question:", "Hey,",
           "Hoping someone knows:", "Help:", "Hi there,", "Genuine question:"],
}
Q_CLOSE = {
    "it": ["Grazie!", "Grazie in anticipo 🙏", "Qualcuno lo sa?", "Grazie mille", "😅", "Help",
           "Grazie 🙂", "Chi sa risponda", "Aspetto consigli"],
    "en": ["Thanks!", "Thanks in advance 🙏", "Anyone?", "Cheers", "🙏", "Thank you!",
           "Any tips welcome"],
}
QUESTION = {
    "ship_when": {"it": [
        "quando parte l'{ORD}? l'ho fatto {dd}",
        "a che punto è l'{ORD}? ancora nessuna mail di spedizione",
        "{NUM}: riuscite a spedirlo prima del weekend?",
        "l'{ORD} risulta ancora da evadere, parte oggi o domani?",
        "l'{ORD} quando viene spedito? mi serve per {occasion}"],
        "en": [
        "when will {ORD} ship? placed it {dd}",
        "any idea when {ORD} goes out? no shipping email yet",
        "{NUM}: any chance it ships before the weekend?",
        "when does {ORD} ship? it's a gift"]},
    "address": {"it": [
        "posso cambiare l'indirizzo di spedizione dell'{ORD}? ho messo quello vecchio 🤦",
        "ho sbagliato il CAP nell'{ORD}, si può correggere prima che parta?",
        "nell'{ORD} ho messo l'indirizzo dell'ufficio ma sono in ferie: si può cambiare?"],
        "en": [
        "can I still change the shipping address on {ORD}?",
        "typo in the postcode on {ORD}, can it be fixed before it ships?",
        "put my old address on {ORD} 🤦 can it still be changed?"]},
    "add_item": {"it": [
        "si può aggiungere un sacchetto di {Pb} all'{ORD} o devo fare un ordine nuovo?",
        "all'{ORD} posso aggiungere {P}? così non pago di nuovo la spedizione"],
        "en": [
        "could I add a bag of {Pb} to {ORD} or do I need a new order?",
        "can I add {P} to {ORD} so I don't pay shipping twice?"]},
    "invoice": {"it": [
        "mi serve la fattura per l'{ORD}, a chi devo scrivere?",
        "per l'{ORD} potete farmi fattura con partita IVA?",
        "come scarico la fattura dell'{ORD}? nella mail non la trovo"],
        "en": [
        "how do I get an invoice for {ORD}?",
        "need a VAT invoice for {ORD}, who do I ask?"]},
    "saturday": {"it": [
        "l'{ORD} è in transito con {courier}: consegnano anche di sabato?",
        "{courier} dice in consegna per l'{ORD}, se non ci sono lo lasciano al vicino?"],
        "en": [
        "{courier} says {ORD} is in transit, do they deliver on saturdays?",
        "if I'm not home when {courier} delivers {ORD}, what happens?"]},
    "refund": {"it": [
        "vedo il rimborso dell'{ORD} sulla carta ma nessuna mail, è tutto ok?",
        "l'{ORD} risulta rimborsato: è il rimborso completo?"],
        "en": [
        "saw a refund for {ORD} on my card but no email, is that right?",
        "{ORD} shows as refunded, is that the full amount?"]},
    "cancelled": {"it": [
        "perché l'{ORD} è stato annullato? non ho ricevuto spiegazioni",
        "mi è arrivata la mail di annullamento dell'{ORD}, cosa è successo?"],
        "en": [
        "why was {ORD} cancelled? no explanation in the email",
        "got a cancellation email for {ORD}, what happened?"]},
    "tracking_link": {"it": [
        "il link di tracciamento dell'{ORD} mi dà errore, il numero è giusto?",
        "il codice {courier} dell'{ORD} non viene trovato sul sito, è normale?"],
        "en": [
        "the tracking link for {ORD} gives me an error, is the number right?",
        "{courier} says the tracking number for {ORD} doesn't exist yet?"]},
    "oos_back_mine": {"it": [
        "quando torna{Pn} {P}? ordinato a {month}, una meraviglia",
        "{P} {Pe} esaurit{Pa}? ne vorrei un altro sacchetto"],
        "en": [
        "when {Pis} {P} coming back? had it in {month} and loved it",
        "will {P} be restocked? I'd love another bag"]},
    "grind_mine": {"it": [
        "per la moka che macinatura prendo di {Pb}? finora ho sempre preso i grani",
        "ho un sacchetto di {Pb} in grani: se lo faccio macinare al supermercato per la moka va "
        "bene?"],
        "en": [
        "which grind should I get for {P} in a moka pot? always bought whole bean so far",
        "got {P} whole bean, is it okay to have it ground at the shop for a moka pot?"]},
    "storage": {"it": [
        "quanto dura un sacchetto di {Pb} una volta aperto? lo tengo in frigo, sbaglio?",
        "il sacchetto di {Pb} aperto da un mese è ancora buono?",
        "meglio congelare i grani se non finisco in fretta il sacchetto di {Pb}?"],
        "en": [
        "how long does {P} keep once opened? I keep it in the fridge, bad idea?",
        "is an opened bag of {Pb} still good after a month?"]},
    "grind_moka": {"it": [
        "che macinatura prendo per la moka? c'è \"Moka\" e \"Espresso\", cambia tanto?",
        "per la moka meglio {P} macinato moka o in grani e macino io?",
        "principiante: per la moka da 3 prendo macinatura moka o espresso?",
        "la macinatura \"moka\" di {brand} va bene anche per la napoletana?"],
        "en": [
        "which grind for a moka pot, \"moka\" or \"espresso\"?",
        "moka pot newbie: should I get {P} pre-ground or whole bean?",
        "does the \"moka\" grind from {brand} work for a Neapolitan flip pot too?"]},
    "islands": {"it": [
        "quanto ci mette una spedizione di {brand} a {island}?",
        "spedite anche in Sardegna? a {island} di solito i corrieri ci mettono una vita",
        "tempi di consegna per la Sicilia? se ordino oggi arriva a {sicily} entro sabato?",
        "per le isole la spedizione costa di più?"],
        "en": [
        "how long does shipping to Sardinia take?",
        "do you ship to Sicily, and how long does it take to {sicily}?",
        "ordering from {island}, any idea on delivery times?"]},
    "decaf": {"it": [
        "{P} è un decaffeinato o no?",
        "{P} è decaffeinato ad acqua o con solventi?",
        "quanta caffeina resta in {Pb}? la sera posso berlo tranquill{o}?",
        "{P} va bene in gravidanza? è decaffeinato al 100%?"],
        "en": [
        "is {P} decaf?",
        "how is {P} decaffeinated? water process or solvents?",
        "how much caffeine is left in {P}?"]},
    "back_when": {"it": [
        "quando torna{Pn} disponibil{Pi} {P}?",
        "{P} {Pe} esaurit{Pa} da settimane, si sa quando rientra{Pn}?",
        "si sa quando rientra{Pn} {P}?"],
        "en": [
        "when {Pis} {P} back in stock?",
        "any news on {P} restocking?",
        "{P} {Phas} been sold out for ages, any chance of a restock?"]},
    "subscription": {"it": [
        "quanto costa {P}? si può mettere in pausa?",
        "con {P} si sceglie la miscela o decidete voi?",
        "{P} da 500 g al mese quanto costa, spedizione compresa?",
        "{P} si può disdire quando si vuole?"],
        "en": [
        "how much is {P}, and can I skip a month?",
        "does {P} let you choose the coffee or is it a surprise?",
        "can {P} be cancelled anytime?"]},
    "capsules": {"it": [
        "{P} sono compatibili con la Nespresso Vertuo?",
        "{P} funzionano nella Essenza Mini?",
        "{P} sono compostabili o in plastica?",
        "{P} vanno bene per la Pixie?"],
        "en": [
        "do {P} fit the Nespresso Vertuo?",
        "will {P} work in an Essenza Mini?",
        "are {P} compostable or aluminium?"]},
    "misc": {"it": [
        "spedite in Germania? mia sorella vive a Monaco",
        "{brand} ha un negozio fisico o solo online?",
        "quanti giorni dopo la tostatura spedite?",
        "la carta regalo di {brand} ha una scadenza?",
        "che ricetta consigliate per {P} al V60?",
        "{P} ha dentro robusta?"],
        "en": [
        "do you ship to Germany?",
        "does {brand} have a physical shop or is it online only?",
        "how soon after roasting do you ship?",
        "what V60 recipe do you recommend for {P}?",
        "is there robusta in {P}?"]},
}

P_OPEN = {
    "it": ["Piccolo elogio:", "Devo dirlo:", "Ok, ufficialmente fan.", "Buongiorno!",
           "Confermo:", "Non mi pagano per dirlo, ma", "Recensione non richiesta:",
           "Spam di felicità:", "Ve lo dico:", "Momento di gratitudine:",
           "Aggiornamento caffeinico:"],
    "en": ["Unsolicited review:", "Not sponsored, just happy:", "Small appreciation post:",
           "Can confirm:", "Good morning!", "Okay,", "Credit where it's due:"],
}
P_CLOSE = {
    "it": ["Consigliatissimo.", "Bravi!", "Torno sicuro.", "❤️", "Grazie!", "Top.",
           "Fidatevi.", "Riordino a breve.", "Chapeau.", "Che goduria."],
    "en": ["Highly recommend.", "10/10.", "Will reorder.", "Love it.", "Thank you!",
           "Chef's kiss.", "Grazie!"],
}
PRAISE = {
    "taste": {"it": [
        "{P} {method} è una cosa seria: {taste}",
        "sto bevendo {P} {method} e sento {taste}. che roba",
        "{P} {method}: {taste}. voto 10",
        "la crema che fa {P} con la mia macchinetta è incredibile",
        "terzo sacchetto di {Pb} in un mese, direi che mi piace",
        "non pensavo che un caffè potesse sapere di {taste1}. {P} mi ha convint{o}",
        "colazione con {P} e cornetto, giornata svoltata",
        "la mia nuova dipendenza legale: {P} {method}",
        "ho fatto assaggiare {P} a mio padre, che beve solo il caffè del bar. verdetto: "
        "\"buono, dove l'hai preso?\"",
        "{P} {method} la domenica mattina. {taste}, non chiedo altro",
        "da quando ho scoperto {P} il caffè del supermercato non riesco più a berlo",
        "assaggiat{Pa} per la prima volta {P}: {taste}, pulitissimo",
        "{P} merita tutto l'hype. {taste}",
        "se cercate un caffè {method} che sappia di {taste1}, {P} è quello giusto"],
        "en": [
        "{P} {method} is unreal: {taste}",
        "brewing {P} {method} this morning. {taste}. wow",
        "{P} makes the crema of my dreams",
        "third bag of {Pb} this month. send help",
        "didn't expect {taste1} from a coffee. {P} is something else",
        "my partner keeps stealing my {Pb}. fair enough, it's that good",
        "{P} {method} on a rainy sunday. {taste}. perfect",
        "finally tried {P} everyone talks about: {taste}, super clean cup",
        "{P} has ruined supermarket coffee for me",
        "gave {P} to my dad, who only drinks espresso at the bar. his verdict: \"where did "
        "you get this?\""]},
    "decaf": {"it": [
        "finalmente un decaffeinato che sa di caffè vero: {P}",
        "{P} dopo cena e dormo comunque come un sasso",
        "non bevo caffeina da anni e {P} mi ha riconciliat{o} con l'espresso"],
        "en": [
        "finally a decaf that tastes like actual coffee: {P}",
        "{P} after dinner and I still sleep like a baby"]},
    "shipping": {"it": [
        "ordinato ieri sera, arrivato stamattina a {city}. {brand} velocissimi",
        "pacco curatissimo, data di tostatura di tre giorni prima e pure un biglietto scritto "
        "a mano ❤️",
        "spedizione in 24 ore fino a {city}, complimenti a {brand}",
        "tostato martedì, arrivato giovedì. {brand} non sbaglia un colpo",
        "il profumo quando apri la scatola di {brand} vale già metà del prezzo"],
        "en": [
        "ordered Monday, arrived Wednesday in {city_en}. great packaging",
        "roast date two days before shipping. that's how it should be, {brand}",
        "{brand} shipped to {city_en} in three days, beautifully packed",
        "the smell when you open a {brand} box is worth half the price"]},
    "service": {"it": [
        "servizio clienti top: ho sbagliato macinatura e me l'hanno cambiata senza storie",
        "mi hanno risposto in dieci minuti su una domanda sulla moka. bravi {brand}",
        "avevo un problema con un ordine e {brand} l'ha risolto in un giorno",
        "scritto a {brand} per un consiglio sulla macinatura, risposta gentilissima e "
        "competente"],
        "en": [
        "great customer service from {brand}: picked the wrong grind, they swapped it, no fuss",
        "asked {brand} a question about my moka pot, got an answer in ten minutes",
        "had a problem with an order and {brand} fixed it the same day"]},
    "gear": {"it": [
        "{P} {Pe} bellissim{Pa} e funziona{Pn} alla grande",
        "con {P} finalmente faccio un caffè come si deve a casa",
        "{P} {Pe} arrivat{Pa} in due giorni, fatt{Pa} benissimo",
        "nuovo acquisto: {P}. primo caffè e sono già innamorat{o}"],
        "en": [
        "{P} is beautifully made, I use it every single morning",
        "finally making proper coffee at home with {P}",
        "new toy: {P}. first brew and I'm hooked"]},
    "gift": {"it": [
        "regalato {P} a mio padre: approvato a pieni voti",
        "{P} regalat{Pa} a Natale: successone",
        "{P} {Pe} stat{Pa} il regalo più apprezzato di Natale"],
        "en": [
        "{P} was the hit of christmas",
        "gave {P} to my sister, she loved it"]},
}
I_OPEN = {
    "it": ["Ok, deciso:", "Mi sono convint{o}:", "Nota per me stess{o}:", "Lista della spesa:",
           "Ormai è ufficiale:", "Niente,"],
    "en": ["Note to self:", "Decision made:", "Okay,", "Shopping list:", "That's it,"],
}
I_CLOSE = {
    "it": ["🛒", "Vi farò sapere.", "Non vedo l'ora.", "Il portafoglio piange.",
           "Poi vi dico com'è."],
    "en": ["🛒", "Wallet crying.", "Can't wait.", "Will report back."],
}
INTENT = {
    "buy": {"it": [
        "devo assolutamente provare {P}",
        "prossimo ordine: {P} e {P2}",
        "quasi quasi mi regalo {P}",
        "finito il sacchetto, domani riordino {P}",
        "nel carrello: {P}. manca solo il coraggio di premere \"paga\"",
        "mi hanno consigliato {P}, appena arriva lo stipendio ordino",
        "la prossima volta provo {P} {method}",
        "mia madre vuole {P}, tocca ordinare",
        "dopo tutte queste recensioni stasera ordino {P}",
        "{P} mi ispira troppo, questa settimana ordino",
        "voglio provare {P}, qualcuno l'ha già provat{Pa}?"],
        "en": [
        "ordering {P} next week",
        "adding {P} to my cart right now",
        "need to try {P} after all these reviews",
        "next order: {P} + {P2}",
        "everyone keeps talking about {P}, guess I'm buying it",
        "running low, {P} is going back in the basket tonight",
        "payday = {P} day",
        "I'm getting {P} this weekend, no excuses"]},
    "gear": {"it": [
        "mi manca solo {P} per completare il setup",
        "quasi quasi mi regalo {P} per Natale",
        "sto mettendo da parte i soldi per {P}"],
        "en": [
        "saving up for {P}",
        "the only thing missing from my setup is {P}. ordering it"]},
    "gift": {"it": [
        "per Natale regalo {P} a mia sorella, deciso",
        "{P} per mio padre, regalo risolto",
        "quest'anno a tutti i colleghi {P}, fine"],
        "en": [
        "getting {P} for my dad for christmas",
        "{P} for my sister, gift sorted"]},
    "subscription": {"it": [
        "mi sa che faccio {P}, tanto il caffè lo finisco sempre",
        "attivo {P} da gennaio, buon proposito per il nuovo anno"],
        "en": [
        "thinking about {P}, I go through a bag a week anyway",
        "signing up for {P} in january, new year's resolution"]},
    "notify": {"it": [
        "avvisatemi quando torna{Pn} disponibil{Pi} {P}!",
        "avvisami quando torna{Pn} {P}, ne prendo due",
        "appena torna{Pn} {P} compro subito, fatemi sapere 🙏",
        "c'è una lista d'attesa per {P}? avvisatemi quando torna{Pn}"],
        "en": [
        "notify me when {P} {Pis} back!",
        "please let me know when {P} {Pis} back in stock, I'll take two",
        "the moment {P} {Pis} back I'm buying it. ping me?"]},
}
EMO = {
    "complaint": ["😤", "😡", "🙄", "😩", "😞", "🤦‍♂️", "🤷‍♀️", "😠", "💀"],
    "question": ["🤔", "🙏", "☕", "🙂", "👀"],
    "praise": ["☕", "😍", "🔥", "👌", "❤️", "✨", "🙌", "🤌"],
    "purchase_intent": ["🛒", "☕", "😋", "👀", "🤑", "💸"],
    "other": ["😂", "😅", "🙃", "❤️", "🙂"],
}
TAGS = {"it": ["#caffè", "#moka", "#espresso", "#caffeitaliano", "#coffeelover", "#buongiorno",
               "#specialtycoffee", "#torrefazione"],
        "en": ["#coffee", "#specialtycoffee", "#espresso", "#coffeelover", "#mokapot",
               "#pourover", "#italiancoffee"]}

# off-topic posts: decoy words (Vesuvio the volcano, Etna, brace = embers, Kenya the country,
# someone's own moka, "bar centrale", "aurora"), football, everyday coffee talk
NOISE = {"it": [
    "il Vesuvio stamattina da {place_na}, limpido come non mai 🌋",
    "salita al Vesuvio fatta! 1281 metri e un vento che ti porta via",
    "vista sul Vesuvio dal lungomare, non mi stanca mai",
    "il Vesuvio con la neve in cima è un'altra cosa",
    "documentario sul Vesuvio stasera in tv, consigliatissimo",
    "Pompei con il Vesuvio dietro, ogni volta la pelle d'oca",
    "l'Etna ha ripreso con le fontane di lava, spettacolo visto da {place_ct}",
    "aeroporto di Catania chiuso per la cenere dell'Etna, di nuovo. volo spostato a domani",
    "gita sull'Etna: crateri Silvestri e poi granita a Zafferana",
    "Etna innevata e mare sotto, solo in Sicilia",
    "brace pronta, stasera arrosticini per tutti 🔥",
    "la differenza la fa la brace: niente fiamma, solo carbone bianco",
    "castagne sulla brace e vino novello, novembre perfetto",
    "mio zio sulla brace è un artista, io brucio anche l'acqua",
    "pesce alla brace a {place_sea} e non ho altro da aggiungere",
    "ristorante nuovo in centro a {city}: tutto alla brace, carciofi da piangere",
    "quando la brace è giusta ci metti la mano sopra e conti fino a cinque",
    "tornata dal Kenya, il Masai Mara mi ha cambiato la vita",
    "Kenya o Tanzania per un safari a febbraio? consigli?",
    "a Nairobi c'è un traffico peggio di Roma all'ora di punta",
    "la moka della nonna fa ancora il caffè più buono di casa #caffè",
    "lavare la moka col detersivo: reato o no? discutiamo",
    "ho dimenticato la moka sul fuoco, la cucina sa di bruciato da due ore",
    "cambiata la guarnizione della moka dopo dieci anni, sembra nuova",
    "la moka che borbotta la domenica mattina è il suono di casa",
    "la moka da 6 per una persona sola è uno stile di vita",
    "terzo caffè e sono solo le 10 ☕",
    "il caffè del distributore in ufficio dovrebbe essere illegale",
    "caffè sospeso lasciato stamattina al bar, piccoli gesti",
    "mi manca il caffè di {city}, quello del bar sotto casa dei miei",
    "da un anno bevo il caffè senza zucchero e non torno indietro",
    "orzo in tazza grande, scusate",
    "il barista che ti prepara il caffè appena ti vede entrare. questo è amore",
    "ginseng o decaffeinato? il grande dilemma delle 17",
    "{team1}-{team2} stasera, pronostici? #seriea",
    "che gol al novantesimo, ancora non ci credo",
    "arbitraggio vergognoso, non dico altro",
    "forza {team1} sempre, anche oggi ⚽",
    "il derby alle 12:30 dovrebbe essere vietato",
    "fantacalcio: schierato il portiere infortunato. campione",
    "appuntamento al bar centrale alle 8, come sempre",
    "il Bar Centrale del paese chiude dopo 40 anni, che tristezza",
    "al bar centrale di {town} il caffè costa ancora 1,10",
    "aurora boreale vista {place_north}? non ci credo ancora",
    "sveglia all'aurora per il treno delle 6, mai più",
    "notte bianca a {city}, centro pienissimo",
    "treno in ritardo di 40 minuti, classico",
    "finalmente venerdì",
    "qualcuno sa se domani piove a {city}?",
    "panettone o pandoro? io pandoro e non me ne vergogno",
    "la nebbia in pianura stamattina sembrava un film",
    "cercasi idee regalo per il secret santa in ufficio, budget 10 euro",
    "ho fatto 1180 passi oggi. sì, smart working",
    "tombola di Natale: uscito il 90, la paura",
    "il caffè al bar a {city} è salito a 1,40, la fine di un'epoca",
    "il bollitore dell'ufficio è più vecchio di me",
    "napoletana o moka? a casa mia è guerra da tre generazioni",
    "cornetto e cappuccino al volo prima del treno, l'unica gioia del lunedì",
    "la macchinetta a cialde del coinquilino fa un rumore da trattore"],
    "en": [
    "hiked up Vesuvius today, absolutely worth the climb 🌋",
    "Pompeii with Vesuvio in the background never gets old",
    "Etna is erupting again, flights out of Catania cancelled #Etna",
    "snow on Vesuvius seen from the ferry to Capri, unreal",
    "back from Kenya. the Masai Mara was unreal",
    "planning a Kenya trip for March, Nairobi or straight to the coast?",
    "brace yourselves, Monday is coming",
    "got a knee brace after my run. getting old",
    "my kid got braces today and is now the saddest person alive",
    "made coffee in my grandma's moka pot. nothing beats it #mokapot",
    "my moka pot gasket finally melted. RIP",
    "coffee prices are wild this year",
    "third cup of coffee and it's only 10am",
    "what a match. that last-minute goal! ⚽",
    "Serie A on a Sunday afternoon with an espresso is peak Italy",
    "Italian bar culture: espresso at the counter in 30 seconds. love it",
    "saw the aurora from {place_uk} last night, still buzzing",
    "flat white vs cortado, fight me",
    "the barista at my local remembers my order. this is what belonging feels like",
    "decaf after 3pm or I don't sleep",
    "anyone else's office coffee machine sound like a jet engine?",
    "grilling over charcoal tonight. wait for the embers, patience is everything",
    "learning Italian: today I learned that \"brace\" means embers",
    "our Airbnb in Naples had a moka pot and now I need one",
    "one day I'll do a coffee-origin trip: Colombia, Guatemala, Ethiopia",
    "train delayed 40 minutes. classic",
    "Friday at last",
    "reading about the history of espresso machines at 1am, as one does",
    "spilled an entire coffee on my keyboard. 1/10, do not recommend",
    "best pizza of my life in Naples, no contest",
    "made tiramisu for the first time, mascarpone everywhere",
    "just learned you don't order a cappuccino after 11 in Italy. oops",
    "the Amalfi coast bus is an extreme sport",
    "watched the Napoli game in a bar full of locals, what an atmosphere",
    "espresso martini season is upon us",
    "winter sun in Sicily is a cheat code",
    "my neighbour roasts his own beans in a popcorn machine. the smell!",
    "Sumatra is on my travel list for next year, anyone been?",
    "tried to explain moka vs espresso to my mum. failed",
    "the Bar Centrale in my wife's village does the best cornetti in Italy",
    "coffee with a view of Vesuvius this morning, not a bad start",
    "I own five coffee mugs and use the same one every day"]}
NOISE_SHOP = {"it": ["visto lo stand di {brand} al mercatino di Natale di {city}, fila lunghissima",
                     "{brand} ha pubblicato la ricetta del tiramisù col caffè, me la segno",
                     "passat{o} davanti al laboratorio di {brand}, che profumo di tostatura"],
              "en": ["{brand} posted a roasting video, oddly satisfying",
                     "saw {brand} at a Christmas market in {city_en}, long queue"]}
NOISE_REPLY = {"it": ["ahah verissimo", "concordo al 100%", "ma quando mai", "anche io!",
                      "che invidia 😍", "foto?", "questa è poesia", "parole sante"],
               "en": ["haha so true", "100% agree", "same here!", "jealous 😍",
                      "pics or it didn't happen", "this is the way"]}

PSEUDO = {"it": [("Caffeinomane", "caffeinomane", ""), ("La Zia del Caffè", "ziacaffe", "f"),
                 ("Moka Addicted", "mokaddicted", ""), ("Tazzina Sbeccata", "tazzinasbeccata", ""),
                 ("Il Barista Mancato", "baristamancato", "m"),
                 ("Crema & Cacao", "cremaecacao", ""), ("Nonna Pina", "nonnapina", "f"),
                 ("Espresso Dipendente", "espressodip", ""),
                 ("Chicco Ribelle", "chiccoribelle", ""),
                 ("Pendolare Stanco", "pendolarestanco", "m"),
                 ("Lo Zio Tostato", "ziotostato", "m"), ("Gattara Caffeinata", "gattaracaffe", "f"),
                 ("Notturna", "notturna", "f"), ("Slow Mornings", "slowmornings", ""),
                 ("Pausa Caffè", "pausacaffe", ""), ("Fuori Sede", "fuorisede", "")],
          "en": [("Bean There", "beanthere", ""), ("Pour Over Pete", "pouroverpete", "m"),
                 ("Decaf Is A Lie", "decafisalie", ""),
                 ("Espresso Yourself", "espressoyourself", ""),
                 ("Latte Art Fail", "latteartfail", ""), ("Sleepy Commuter", "sleepycommuter", ""),
                 ("Coffee Nerd", "coffeenerd", ""), ("The Daily Grind", "thedailygrind", ""),
                 ("Mocha Mum", "mochamum", "f"), ("Caffeinated Owl", "caffeinatedowl", ""),
                 ("Crema Chaser", "cremachaser", "")]}
INSTANCES = {"it": ["mastodon.uno", "mastodon.uno", "sociale.network", "mastodon.social",
                    "mastodon.bida.im"],
             "en": ["mastodon.social", "mastodon.social", "mastodon.online", "mstdn.social",
                    "hachyderm.io", "fosstodon.org", "mas.to"]}
