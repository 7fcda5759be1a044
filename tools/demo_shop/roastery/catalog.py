"""The roastery's products: single origins, house blends, capsules, equipment, gift boxes and a
subscription, with variants by weight and grind."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .base import REF, UTC, between, chance, iso, money, p90, rng, slug

# --- products -----------------------------------------------------------------------------------
# (key, title, type, vendor, tags, status, variants, description)
# variants: ("so", price_250) single origin 250 g / 1 kg x 4 grinds; ("blend", price_250)
# 250 g / 500 g / 1 kg x 3 grinds; or a list of (title, price) pairs.
BRACE = "Torrefazione Brace"
SO = ["monorigine", "caffè in grani"]
PRODUCT_TABLE = [
    ("ETYI", "Etiopia Yirgacheffe", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "tostatura chiara"], "active", ("so", 12.9),
     "Lavato etiope dalla zona di Gedeo, con note di gelsomino, bergamotto e scorza di limone. "
     "Tostatura chiara, pensata per i metodi a filtro. Consiglio: 15 g macinati medio-fini per "
     "250 ml d'acqua a 93 °C, per un'estrazione totale di circa 3 minuti."),
    ("ETSI", "Etiopia Sidamo Natural", "Caffè in grani", BRACE,
     SO + ["filtro", "moka", "africa", "naturale"], "active", ("so", 12.4),
     "Processo naturale, con note di fragola matura, mirtillo e cioccolato al latte. Ottimo anche "
     "in moka: riempi il filtro senza pressare e tieni la fiamma bassa, così la frutta resta "
     "pulita e non diventa amara."),
    ("BRCE", "Brasile Cerrado", "Caffè in grani", BRACE,
     SO + ["espresso", "moka", "america latina", "tostatura media"], "active", ("so", 9.9),
     "Corpo pieno, acidità bassa e note di nocciola tostata e cacao: la base ideale per un "
     "espresso rotondo. Conserva i grani nel sacchetto con valvola ben richiuso, al buio e fuori "
     "dal frigorifero, e consumali entro un mese dall'apertura."),
    ("COHU", "Colombia Huila", "Caffè in grani", BRACE,
     SO + ["espresso", "filtro", "america latina", "lavato"], "active", ("so", 11.4),
     "Dalla regione di Huila, coltivato tra 1.600 e 1.900 metri: caramello, mela rossa e una "
     "dolcezza che ricorda la panela. Versatile: in espresso parti da 18 g di caffè per 36 g in "
     "tazza in circa 28 secondi."),
    ("CODE", "Colombia Decaffeinato", "Caffè in grani", BRACE,
     SO + ["decaffeinato", "espresso", "moka", "america latina"], "active", ("so", 11.9),
     "Decaffeinato con processo naturale alla canna da zucchero, che preserva dolcezza e note di "
     "cioccolato e frutta secca; caffeina residua sotto lo 0,1%. Per l'espresso macina un filo "
     "più fine del solito: il decaffeinato tende a scorrere più veloce."),
    ("GUAN", "Guatemala Antigua", "Caffè in grani", BRACE,
     SO + ["moka", "espresso", "america latina", "tostatura media"], "active", ("so", 11.9),
     "Coltivato all'ombra dei vulcani di Antigua, ha note di cacao, spezie dolci e un finale "
     "leggermente affumicato. Eccellente in moka: versa nella caldaia acqua già calda, così il "
     "caffè non si cuoce sul fuoco."),
    ("KEAA", "Kenya AA", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "tostatura chiara"], "active", ("so", 14.4),
     "Grado AA dalla contea di Nyeri: ribes nero, pompelmo rosa e un'acidità succosa e brillante. "
     "Dà il meglio nel dripper: macinatura media, 16 g per 260 ml d'acqua a 94 °C e un tempo "
     "totale intorno ai 3 minuti."),
    ("SUMA", "Sumatra Mandheling", "Caffè in grani", BRACE,
     SO + ["espresso", "asia", "tostatura scura"], "active", ("so", 12.9),
     "Lavorato con il metodo tradizionale giling basah: terroso e speziato, con note di "
     "cioccolato fondente e tabacco dolce. Perfetto per chi ama l'espresso corposo; tieni i grani "
     "in un barattolo ermetico e macina solo al momento."),
    ("CRTA", "Costa Rica Tarrazú", "Caffè in grani", BRACE,
     SO + ["filtro", "espresso", "america latina", "honey"], "active", ("so", 13.4),
     "Honey process dalla valle di Tarrazú, con note di miele, albicocca e mandorla. Equilibrato "
     "con ogni metodo; in french press usa 60 g per litro e lascia in infusione 4 minuti prima "
     "di premere."),
    ("INMM", "India Monsooned Malabar", "Caffè in grani", BRACE,
     SO + ["espresso", "asia", "tostatura media"], "active", ("so", 10.9),
     "I chicchi restano per settimane esposti ai venti umidi del monsone: ne nasce un caffè a "
     "bassissima acidità, con note di cereali e spezie. Ideale per l'espresso con latte; una "
     "volta aperto, consumalo entro tre settimane."),
    ("HOMA", "Honduras Marcala Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "moka", "espresso", "america latina"], "active", ("so", 11.9),
     "Biologico certificato, dalla denominazione d'origine Marcala, con note di cioccolato al "
     "latte, pesca e mandorla tostata. Per la moka scegli la macinatura Moka e non riempire la "
     "caldaia oltre la valvola."),
    ("PECA", "Perù Cajamarca Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "filtro", "america latina"], "active", ("so", 11.4),
     "Da piccoli produttori riuniti in cooperativa a Cajamarca, biologico certificato. Dolce e "
     "morbido, con note di nocciola e zucchero di canna. A filtro funziona bene con un rapporto "
     "1:16 e acqua a 92 °C."),
    ("NIJI", "Nicaragua Jinotega", "Caffè in grani", BRACE,
     SO + ["espresso", "america latina", "lavato"], "active", ("so", 11.9),
     "Dalle montagne di Jinotega, con note di cacao, arancia candita e un corpo vellutato. "
     "Ottimo in espresso: lascia riposare i grani 7-10 giorni dalla data di tostatura prima di "
     "usarli."),
    ("MXCH", "Messico Chiapas Biologico", "Caffè in grani", BRACE,
     SO + ["biologico", "moka", "america latina"], "active", ("so", 10.9),
     "Biologico dal Chiapas, delicato e rotondo, con note di cioccolato e noce pecan. Un caffè "
     "da tutti i giorni che perdona qualche errore, ma in moka non pressare mai la polvere nel "
     "filtro."),
    ("BUKA", "Burundi Kayanza", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "lavato", "in arrivo"], "draft", ("so", 13.9),
     "Lotto lavato dalla stazione di Kayanza, con note di ribes rosso, tè nero e zucchero di "
     "canna. In arrivo a primavera, solo per metodi a filtro: consigliamo Chemex o dripper "
     "conico con acqua a 93 °C."),
    ("RWHU", "Ruanda Huye (raccolto 2024)", "Caffè in grani", BRACE,
     SO + ["filtro", "africa", "esaurito"], "archived", ("so", 12.9),
     "Raccolto 2024, esaurito. Lavato dal distretto di Huye, con note di arancia rossa e "
     "caramello. Conservato in un barattolo sottovuoto restava vivace anche a cinque settimane "
     "dalla tostatura."),
    ("PAGE", "Panama Geisha Boquete", "Caffè in grani", BRACE,
     SO + ["filtro", "america latina", "edizione limitata", "tostatura chiara"], "active",
     [("100 g / Grani", 24.9), ("100 g / Filtro", 24.9)],
     "Microlotto di varietà Geisha da Boquete, tostato in piccolissime quantità: bergamotto, "
     "pesca bianca e fiori d'arancio. Da preparare solo a filtro: 12 g per 200 ml a 94 °C, con "
     "un'acqua oligominerale che non copra le note floreali."),
    ("VESU", "Miscela Vesuvio", "Caffè in grani", BRACE,
     ["miscela", "espresso", "moka", "robusta", "tostatura scura", "caffè in grani"], "active",
     ("blend", 8.9),
     "La nostra miscela più intensa: 70% arabica brasiliana e indiana, 30% robusta lavata. Crema "
     "densa color nocciola, note di cioccolato fondente e spezie. In moka scegli la macinatura "
     "Moka, riempi il filtro a cupola senza pressare e togli la moka dal fuoco appena inizia a "
     "gorgogliare."),
    ("BACE", "Miscela Bar Centrale", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "tostatura media", "caffè in grani"], "active",
     ("blend", 9.4),
     "La miscela da bar di Torrefazione Brace: 80% arabica e 20% robusta, tostatura medio-scura "
     "pensata per le macchine espresso. Note di nocciola tostata e caramello. Con la macchina di "
     "casa parti da 18 g in 25-30 secondi e regola la macinatura di conseguenza."),
    ("NOTT", "Decaffeinato Notte", "Caffè in grani", BRACE,
     ["miscela", "decaffeinato", "espresso", "moka", "caffè in grani"], "active",
     ("blend", 9.9),
     "Decaffeinato 100% arabica, decaffeinizzato ad acqua, per il caffè dopo cena senza "
     "pensieri. Note di biscotto e cacao. Conservalo in un barattolo ermetico: il decaffeinato "
     "perde aroma più in fretta del caffè normale."),
    ("CLAS", "Miscela Brace Classica", "Caffè in grani", BRACE,
     ["miscela", "espresso", "moka", "tostatura media", "caffè in grani"], "active",
     ("blend", 8.4),
     "La miscela con cui abbiamo iniziato: 90% arabica, 10% robusta, equilibrata e dolce. Va "
     "bene in moka, in espresso e nella napoletana. Dopo l'apertura richiudi il sacchetto "
     "spremendo fuori l'aria e tienilo lontano da fonti di calore."),
    ("AURO", "Miscela Aurora", "Caffè in grani", BRACE,
     ["miscela", "filtro", "colazione", "tostatura chiara", "caffè in grani"], "active",
     ("blend", 9.4),
     "Miscela 100% arabica tostata chiara per la colazione, con caffè etiopi e colombiani: "
     "agrumi e miele. Pensata per filtro e french press; nella caraffa usa 60 g di caffè per "
     "litro e acqua appena sotto il bollore."),
    ("NONN", "Miscela Nonna Rosa", "Caffè in grani", BRACE,
     ["miscela", "moka", "tostatura media", "caffè in grani"], "active", ("blend", 8.4),
     "Omaggio alla moka di famiglia: tostatura media, corpo rotondo, note di cacao e mandorla. "
     "Trucco di casa: monta i primi schizzi di caffè con lo zucchero per una cremina densa e "
     "mescola il caffè nella moka prima di versarlo."),
    ("SCIR", "Miscela Scirocco", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "tostatura scura", "caffè in grani", "offerta"],
     "active", ("blend", 8.9),
     "Miscela intensa di ispirazione napoletana, con robusta indiana: corpo pieno, crema "
     "persistente e retrogusto di liquirizia. Scalda la tazzina con acqua bollente prima di "
     "servire: l'espresso resta caldo e la crema tiene di più."),
    ("GRCR", "Miscela Gran Crema", "Caffè in grani", BRACE,
     ["miscela", "espresso", "robusta", "caffè in grani"], "active", ("blend", 8.9),
     "Miscela 60% arabica e 40% robusta pensata per una crema alta e compatta anche con le "
     "macchine domestiche. Note di cioccolato e frutta secca. Conserva i grani a temperatura "
     "ambiente in un contenitore opaco: il frigorifero li riempie di umidità e odori."),
    ("MOTR", "Macinato Moka Tradizione", "Caffè macinato", BRACE,
     ["moka", "macinato", "lattina"], "active", [("250 g", 6.9), ("4 × 250 g", 25.9)],
     "Lattina da 250 g di caffè già macinato per moka, tostatura media, con note di cacao e pane "
     "tostato. Dopo l'apertura trasferisci il caffè in un barattolo a chiusura ermetica e "
     "consumalo entro due settimane."),
    ("MAES", "Macinato Espresso Casa", "Caffè macinato", BRACE,
     ["espresso", "macinato"], "active", [("250 g", 7.4), ("4 × 250 g", 27.9)],
     "Macinato fine per le macchine espresso domestiche con filtro pressurizzato: crema "
     "abbondante e note di nocciola. Pressa con decisione ma senza esagerare e pulisci il "
     "portafiltro dopo ogni caffè."),
    ("MAFI", "Macinato Filtro Mattino", "Caffè macinato", BRACE,
     ["filtro", "macinato", "colazione"], "active", [("250 g", 7.4), ("500 g", 13.9)],
     "Macinato medio-grosso per caffè americano, Chemex e macchine a goccia, dal gusto morbido "
     "con note di caramello. Regola base: 60 g di caffè per litro d'acqua, e non lasciare la "
     "caraffa sulla piastra calda per più di 20 minuti."),
    ("CNVE", "Capsule Vesuvio compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "espresso", "alluminio"], "active",
     [("10 capsule", 3.9), ("50 capsule", 17.9), ("100 capsule", 33.9)],
     "La Miscela Vesuvio in capsule di alluminio compatibili con le macchine Nespresso® "
     "Original Line (marchio di terzi, non affiliato). Intense e cremose. Conservale al riparo "
     "da luce e calore: l'alluminio protegge il caffè, ma il caldo ne accelera l'ossidazione."),
    ("CNBC", "Capsule Bar Centrale compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "espresso", "offerta"], "active",
     [("10 capsule", 3.9), ("50 capsule", 17.9), ("100 capsule", 33.9)],
     "La Miscela Bar Centrale in capsule compatibili Nespresso® Original Line (marchio di terzi, "
     "non affiliato), dal gusto rotondo con note di nocciola. Per un espresso più corto ferma "
     "l'erogazione a 25 ml."),
    ("CNNO", "Capsule Decaffeinato Notte compatibili Nespresso", "Capsule", BRACE,
     ["capsule", "compatibili nespresso", "decaffeinato"], "active",
     [("10 capsule", 4.4), ("50 capsule", 19.9)],
     "Il Decaffeinato Notte in capsule compatibili Nespresso® Original Line (marchio di terzi, "
     "non affiliato), dolce e con note di biscotto. Fai scorrere un po' d'acqua senza capsula "
     "prima dell'uso per scaldare la macchina."),
    ("CAMM", "Capsule Vesuvio compatibili A Modo Mio", "Capsule", BRACE,
     ["capsule", "compatibili a modo mio", "espresso"], "active",
     [("16 capsule", 5.9), ("64 capsule", 21.9)],
     "Capsule compatibili con le macchine Lavazza A Modo Mio® (marchio di terzi, non affiliato) "
     "con la Miscela Vesuvio: crema densa e gusto deciso. Decalcifica la macchina ogni 2-3 "
     "mesi, perché il calcare rende il caffè più amaro."),
    ("CDGC", "Capsule Cremoso compatibili Dolce Gusto", "Capsule", BRACE,
     ["capsule", "compatibili dolce gusto", "caffè lungo"], "active",
     [("16 capsule", 5.4), ("48 capsule", 14.9)],
     "Capsule compatibili Nescafé Dolce Gusto® (marchio di terzi, non affiliato) con un blend "
     "cremoso di arabica e robusta, ideali anche per il caffè lungo: per una tazza grande "
     "imposta tre tacche sul selettore."),
    ("CESE", "Cialde ESE 44 mm Bar Centrale", "Capsule", BRACE,
     ["cialde", "ese", "espresso", "compostabile"], "active",
     [("18 cialde", 4.9), ("50 cialde", 12.9), ("150 cialde", 34.9)],
     "Cialde in carta filtro compostabile, formato ESE 44 mm, con la Miscela Bar Centrale. "
     "Funzionano con tutte le macchine a standard ESE. Inserisci la cialda con la piega verso "
     "l'alto e non lasciarla nel portacialde dopo l'uso."),
    ("MOKA", "Moka Brace Classica", "Attrezzatura", BRACE,
     ["moka", "attrezzatura", "alluminio", "made in italy"], "active",
     [("1 tazza", 19.9), ("3 tazze", 24.9), ("6 tazze", 31.9)],
     "Moka ottagonale in alluminio prodotta in Italia per Torrefazione Brace, con manico in "
     "bachelite. Non lavarla con detersivo né in lavastoviglie: basta acqua calda, così mantiene "
     "la patina che protegge il gusto. Adatta a gas ed elettrico, non a induzione."),
    ("MOIN", "Moka Induzione Inox", "Attrezzatura", "Officine Fornello",
     ["moka", "attrezzatura", "induzione", "acciaio", "offerta"], "active",
     [("2 tazze", 34.9), ("4 tazze", 39.9), ("6 tazze", 44.9)],
     "Moka in acciaio inox 18/10 con fondo magnetico: funziona su induzione, gas e "
     "vetroceramica. Butta i primi due o tre caffè, servono ad avvinare la moka, e sostituisci "
     "la guarnizione una volta l'anno."),
    ("GRIN", "Macinacaffè manuale MN-1", "Attrezzatura", "Macina Nord",
     ["macinacaffè", "attrezzatura", "filtro", "moka"], "active", [("Nero", 89.9)],
     "Macinacaffè manuale con macine coniche in acciaio da 38 mm e regolazione a scatti, "
     "dall'espresso alla french press. Per la moka parti da 12-14 scatti dalla chiusura. Pulisci "
     "le macine con un pennello asciutto, mai con acqua."),
    ("DRIP", "Dripper conico in ceramica 02", "Attrezzatura", "Ceramiche Lumia",
     ["filtro", "pour over", "attrezzatura", "ceramica"], "active",
     [("Bianco", 27.9), ("Nero", 27.9), ("Terracotta", 29.9)],
     "Dripper conico in ceramica smaltata, formato 02 (1-4 tazze), con scanalature a spirale. "
     "Scaldalo con acqua bollente prima di usarlo e sciacqua il filtro di carta per eliminare il "
     "sapore di cartone."),
    ("FILT", "Filtri in carta per dripper 02 (100 pz)", "Attrezzatura", "Ceramiche Lumia",
     ["filtro", "pour over", "accessori"], "active", [("100 pz", 6.9)],
     "Cento filtri conici in carta non sbiancata, formato 02. Piegali lungo la cucitura prima di "
     "inserirli e sciacquali con acqua calda: il caffè sarà più pulito."),
    ("TAZZ", "Tazzine da espresso Brace (set da 2)", "Attrezzatura", BRACE,
     ["tazzine", "espresso", "porcellana"], "active", [("Nero brace", 18.9), ("Bianco", 18.9)],
     "Due tazzine in porcellana spessa con piattino e logo Brace. Lo spessore trattiene il "
     "calore: scaldale sulla macchina o con acqua calda prima di servire l'espresso. Lavabili "
     "in lavastoviglie."),
    ("CAPP", "Tazza da cappuccino in gres", "Attrezzatura", "Ceramiche Lumia",
     ["tazze", "cappuccino", "ceramica", "fatto a mano"], "active",
     [("Sabbia", 16.9), ("Blu notte", 16.9)],
     "Tazza da cappuccino da 180 ml in gres smaltato a mano, fatta in Italia: ogni pezzo è un "
     "po' diverso. Forma arrotondata per la latte art. Evita gli sbalzi termici bruschi, come "
     "acqua gelata in una tazza appena scaldata."),
    ("LATT", "Lattiera in acciaio", "Attrezzatura", "Officine Fornello",
     ["latte art", "acciaio", "attrezzatura"], "active", [("350 ml", 17.9), ("600 ml", 21.9)],
     "Lattiera in acciaio inox con beccuccio affilato per la latte art. Riempila di latte freddo "
     "fino all'attacco del beccuccio e monta fino a 60-65 °C: oltre, il latte perde dolcezza."),
    ("BARA", "Barattolo sottovuoto per caffè", "Attrezzatura", BRACE,
     ["conservazione", "accessori", "acciaio"], "active", [("500 g", 24.9)],
     "Barattolo in acciaio con coperchio a pompa che estrae l'aria e indicatore della data; "
     "contiene 500 g di caffè in grani. Tienilo in dispensa, lontano dai fornelli: aria, luce, "
     "calore e umidità sono i nemici del caffè."),
    ("GUAR", "Guarnizione e filtro di ricambio per moka", "Attrezzatura", "Officine Fornello",
     ["moka", "ricambi", "accessori"], "active",
     [("1 tazza", 4.9), ("3 tazze", 4.9), ("6 tazze", 5.9)],
     "Guarnizione in silicone alimentare e filtro in alluminio di ricambio. Se la moka sbuffa dai "
     "lati o il caffè esce a fatica è ora di cambiarla: con uso quotidiano, circa una volta "
     "l'anno."),
    ("BILA", "Bilancia da caffè con timer", "Attrezzatura", "Macina Nord",
     ["bilancia", "filtro", "espresso", "attrezzatura"], "active", [("Nero", 39.9)],
     "Bilancia di precisione da 0,1 g con timer integrato, per espresso e filtro. Pesare caffè e "
     "acqua è il modo più semplice per ripetere una buona tazza: annota la ricetta che ti piace "
     "e rifalla uguale ogni mattina."),
    ("BOLL", "Bollitore a collo di cigno", "Attrezzatura", "Macina Nord",
     ["bollitore", "filtro", "pour over", "attrezzatura"], "active", [("0,8 l", 64.9)],
     "Bollitore elettrico da 0,8 litri con beccuccio a collo di cigno e temperatura regolabile. "
     "Il flusso sottile permette di versare piano nel dripper: per i caffè chiari imposta 94 °C, "
     "per quelli scuri 88-90 °C."),
    ("COFD", "Cofanetto Degustazione Monorigini", "Regali", BRACE,
     ["regalo", "monorigine", "degustazione", "offerta"], "active",
     [("4 × 100 g / Grani", 29.9), ("4 × 100 g / Moka", 29.9), ("4 × 100 g / Filtro", 29.9)],
     "Quattro monorigini da 100 g (Etiopia, Colombia, Guatemala, Kenya) in una scatola regalo con "
     "schede di degustazione. Consiglio: assaggiali nello stesso giorno e con lo stesso metodo "
     "per sentire davvero le differenze."),
    ("COFM", "Cofanetto Moka & Miscela", "Regali", BRACE,
     ["regalo", "moka", "natale"], "active", [("Moka 3 tazze", 32.9), ("Moka 6 tazze", 38.9)],
     "La Moka Brace Classica e 250 g di Miscela Nonna Rosa macinata per moka, in scatola regalo. "
     "Al primo utilizzo prepara due o tre caffè da buttare, per togliere il sapore di metallo "
     "della moka nuova."),
    ("GIFT", "Carta regalo Torrefazione Brace", "Regali", BRACE,
     ["regalo", "carta regalo"], "active", [("25 €", 25.0), ("50 €", 50.0), ("100 €", 100.0)],
     "Carta regalo digitale, spendibile su tutto il negozio e valida 12 mesi, inviata via email "
     "in pochi minuti. Un consiglio per chi la riceve: chi usa la moka scelga la macinatura Moka, "
     "chi ha il macinino i grani, che restano freschi più a lungo."),
    ("XMAS", "Cofanetto Natale 2024", "Regali", BRACE,
     ["regalo", "natale", "edizione limitata"], "archived", [("Unico", 34.9)],
     "Edizione limitata Natale 2024: Miscela Vesuvio 250 g, due tazzine Brace e cioccolato "
     "fondente artigianale. Esaurito. Il fondente al 70% si abbina all'espresso: un quadratino "
     "prima del sorso esalta le note di cacao."),
    ("ABBO", "Abbonamento Brace", "Abbonamenti", BRACE,
     ["abbonamento", "spedizione gratuita", "caffè in grani"], "active",
     [("500 g / mese", 16.9), ("1 kg / mese", 29.9), ("2 × 500 g / mese", 31.9)],
     "Ogni mese caffè tostato da pochi giorni, scelto tra le nostre miscele e i monorigini a "
     "rotazione, con spedizione sempre gratuita; puoi mettere in pausa o annullare quando vuoi. "
     "Per scegliere la quantità conta circa 7 g per espresso: 500 g fanno una settantina di "
     "caffè."),
]
ON_SALE = {"BRCE", "SCIR", "MOIN", "COFD", "CNBC"}
OUT_OF_STOCK = {"PAGE", "SUMA", "GRIN", "CNNO"}
GRIND_CODE = {"Grani": "GR", "Moka": "MO", "Espresso": "ES", "Filtro": "FI"}


def make_products():
    products, by_key = [], {}
    vid = 41001
    for n, (key, title, ptype, vendor, tags, status, vspec, desc) in enumerate(PRODUCT_TABLE):
        pid = 7001 + n
        if isinstance(vspec, tuple):
            kind, base = vspec
            if kind == "so":
                sizes, grinds = [("250 g", 1.0, "250"), ("1 kg", 3.45, "1K")], \
                    ["Grani", "Moka", "Espresso", "Filtro"]
            else:
                sizes, grinds = [("250 g", 1.0, "250"), ("500 g", 1.9, "500"),
                                 ("1 kg", 3.5, "1K")], ["Grani", "Moka", "Espresso"]
            specs = [(f"{s} / {g}", p90(base * f + 0.1), f"BRC-{key}-{c}-{GRIND_CODE[g]}")
                     for s, f, c in sizes for g in grinds]
        else:
            specs = [(t, Decimal(str(p)), f"BRC-{key}-{i + 1:02d}") for i, (t, p) in
                     enumerate(vspec)]
        variants = []
        for vtitle, price, sku in specs:
            compare = None
            if key in ON_SALE:
                compare, price = price, p90(float(price) * 0.82)
            if key in OUT_OF_STOCK or status != "active" or (len(specs) > 1 and chance(0.06)):
                qty = 0  # sold out (or just this size/grind)
            else:
                qty = rng.choice([rng.randint(3, 25), rng.randint(10, 90), rng.randint(40, 160)])
            variants.append({"id": vid, "title": vtitle, "sku": sku, "price": money(price),
                             "compare_at_price": money(compare) if compare else None,
                             "inventory_quantity": qty})
            vid += 1
        created = between(dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2025, 9, 15, tzinfo=UTC))
        updated = between(max(created, dt.datetime(2025, 10, 1, tzinfo=UTC)),
                          REF - dt.timedelta(days=1))
        if key == "BUKA":
            created = between(dt.datetime(2025, 12, 1, tzinfo=UTC),
                              dt.datetime(2025, 12, 10, tzinfo=UTC))
            updated = between(created, REF - dt.timedelta(days=2))
        prod = {"id": pid, "title": title, "handle": slug(title), "vendor": vendor,
                "product_type": ptype, "tags": tags, "description": desc, "status": status,
                "created_at": iso(created), "updated_at": iso(updated), "variants": variants}
        products.append(prod)
        by_key[key] = prod
    return products, by_key
